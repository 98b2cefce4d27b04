package local

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/image/registry"
)

// Bounds on an archive's table of contents: a docker save tarball holds a
// few entries per layer, an OCI archive one per blob.
const (
	maxEntries   = 100_000
	maxNameBytes = 16 << 20
	maxLinkHops  = 8
)

// openArchive opens a tar archive named as a source: a regular file, a
// plain tar or one compressed as docker load accepts it (gzip, bzip2,
// zstd: docker save | gzip is how CI keeps images; xz is known and
// refused, see compression), detected by its magic bytes. The archive is read by seeking to its members, so a compressed
// one is decompressed once, within opts' bound, into a private temporary
// file and read from there. The file returned is open at its start (its
// Name is what to open again); remove deletes the temporary file, if any.
func openArchive(where, file, what string, opts Options) (f *os.File, size int64, remove func() error, err error) {
	none := func() error { return nil }
	if size, err = regularFile(file, -1, what); err != nil {
		return nil, 0, none, fmt.Errorf("%s: %w", where, err)
	}
	if f, err = os.Open(file); err != nil {
		return nil, 0, none, fmt.Errorf("%s: %w", where, err)
	}
	br := bufio.NewReader(f)
	magic, _ := br.Peek(6)
	kind, open := compression(magic)
	if kind == "" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, 0, none, fmt.Errorf("%s: %w", where, err)
		}
		return f, size, none, nil
	}
	defer f.Close()
	if open == nil {
		return nil, 0, none, fmt.Errorf("%s: compressed with %s, which is not read: its decoder takes as much memory as the stream asks for, up to 4 GiB; decompress it first (xz -d), or compress it with gzip or zstd", where, kind)
	}
	limit, why := opts.decompressLimit(size)
	tmp, n, err := decompress(where, br, kind, open, limit, why)
	if err != nil {
		return nil, 0, none, err
	}
	return tmp, n, func() error { return os.Remove(tmp.Name()) }, nil
}

// entries walks a tar's headers within the bounds, calling each with the
// entry's cleaned name. The sizes the entries claim may not add up to more
// than the archive's own size: a sparse entry (a few bytes that expand to
// terabytes of zeros) is a bomb, not an image.
func entries(r io.Reader, size int64, where string, each func(name string, h *tar.Header, tr *tar.Reader) error) error {
	tr := tar.NewReader(r)
	var n int
	var claimed, nameBytes int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return fmt.Errorf("%s: not a tar archive, or an empty one", where)
			}
			return nil
		}
		if err != nil {
			if n == 0 {
				return fmt.Errorf("%s: not a tar archive: %w", where, err)
			}
			return fmt.Errorf("%s: damaged tar archive after %d entries: %w", where, n, err)
		}
		n++
		nameBytes += int64(len(h.Name) + len(h.Linkname))
		if n > maxEntries || nameBytes > maxNameBytes {
			return fmt.Errorf("%s: more than %d entries or %d bytes of names: not an image archive", where, maxEntries, maxNameBytes)
		}
		if h.Size < 0 || h.Size > size-claimed {
			return fmt.Errorf("%s: entry %s claims %d bytes, more than the archive holds (a sparse or damaged entry)", where, bounded(h.Name), h.Size)
		}
		claimed += h.Size
		if err := each(path.Clean(h.Name), h, tr); err != nil {
			return err
		}
	}
}

// openOCIArchive unpacks the layout of an OCI archive (only index.json,
// oci-layout and blobs/ALGORITHM/HEX, as regular files: no other name, and
// so no path out of the directory, is written) into a temporary directory
// and reads it as a layout.
func openOCIArchive(src Source, platform v1.Platform, opts Options) (*Image, error) {
	where := src.Scheme + ":" + clean(src.Path)
	f, size, remove, err := openArchive(where, src.Path, "an OCI archive", opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		f.Close()
		remove()
	}()
	dir, err := os.MkdirTemp("", "kubeward-oci-")
	if err != nil {
		return nil, err
	}
	cleanup := func() error { return os.RemoveAll(dir) }
	if err := unpackLayout(f, size, dir, where); err != nil {
		cleanup()
		return nil, err
	}
	img, err := openLayout(dir, src, platform)
	if err != nil {
		cleanup()
		return nil, err
	}
	img.cleanup = cleanup
	return img, nil
}

func unpackLayout(r io.Reader, size int64, dir, where string) error {
	hasIndex := false
	err := entries(r, size, where, func(name string, h *tar.Header, tr *tar.Reader) error {
		name = strings.TrimPrefix(name, "./")
		if !layoutFile(name) {
			return nil
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s: %s is not a regular file in the archive (type %q): an OCI layout's files are", where, name, h.Typeflag)
		}
		hasIndex = hasIndex || name == "index.json"
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s: %s is in the archive twice", where, name)
			}
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !hasIndex {
		return fmt.Errorf("%s: not an OCI archive: it holds no index.json (a docker save tarball is docker-archive:)", where)
	}
	return nil
}

// layoutFile reports the names of an OCI layout's files.
func layoutFile(name string) bool {
	if name == "index.json" || name == "oci-layout" {
		return true
	}
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != "blobs" {
		return false
	}
	_, err := v1.NewHash(parts[1] + ":" + parts[2])
	return err == nil
}

// tarEntry is what a docker save tarball's table of contents keeps of an
// entry: its data is size bytes at offset in the file.
type tarEntry struct {
	typeflag     byte
	size, offset int64
	link         string
}

// openDockerArchive reads a docker save tarball: manifest.json, the chosen
// image's configuration, verified against the digest its name states (the
// image id), and its layers, each verified against the digest its name
// states (a layer written by go-containerregistry, or docker 25's
// blobs/sha256/HEX) or else against the configuration's DiffID (docker's
// ID/layer.tar: the uncompressed tar). A tarball holds no manifest; the
// image is given the docker manifest those digests make, so its digest is
// the same each time it is read (not that of the image once pushed, whose
// layers the registry stores compressed).
func openDockerArchive(src Source, _ v1.Platform, opts Options) (*Image, error) {
	where := src.Scheme + ":" + clean(src.Path)
	f, size, remove, err := openArchive(where, src.Path, "a docker save tarball", opts)
	if err != nil {
		return nil, err
	}
	img, err := readDockerArchive(where, f, size, src)
	if err != nil {
		remove()
		return nil, err
	}
	img.cleanup = remove
	return img, nil
}

// readDockerArchive reads the docker save tarball f of size bytes (closing
// f once its table of contents is read: its entries are read from handles
// of their own on f.Name()).
func readDockerArchive(where string, f *os.File, size int64, src Source) (*Image, error) {
	file := f.Name()
	toc := map[string]tarEntry{}
	err := entries(f, size, where, func(name string, h *tar.Header, _ *tar.Reader) error {
		if _, seen := toc[name]; !seen { // the first is what docker load reads
			// The tar reader reads no further than a header: the file's
			// offset is where the entry's data starts.
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			toc[name] = tarEntry{h.Typeflag, h.Size, off, h.Linkname}
		}
		return nil
	})
	f.Close()
	if err != nil {
		return nil, err
	}
	read := func(name string, max int64) ([]byte, error) {
		e, err := checkEntry(toc, name, max, where)
		if err != nil {
			return nil, err
		}
		rc, err := openEntry(file, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, bounded(name), err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	raw, err := read("manifest.json", registry.MaxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("%w (docker save writes one; an OCI archive is oci-archive:)", err)
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", where, err)
	}
	d, tag, err := chooseSaved(m, src, where)
	if err != nil {
		return nil, err
	}
	config, err := read(d.Config, registry.MaxConfigBytes)
	if err != nil {
		return nil, err
	}
	ch, ok := nameDigest(d.Config)
	if !ok {
		return nil, fmt.Errorf("%s: the configuration %s is not named by its digest (the image id): its content cannot be verified", where, bounded(d.Config))
	}
	cd := v1.Descriptor{MediaType: types.DockerConfigJSON, Digest: ch, Size: int64(len(config))}
	if err := checkBytes(where, "configuration", cd, config); err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(config))
	if err != nil {
		return nil, fmt.Errorf("%s: configuration %s: %w", where, ch, err)
	}
	if len(cf.RootFS.DiffIDs) != len(d.Layers) {
		return nil, fmt.Errorf("%s: manifest.json lists %d layers, the configuration %d diff_ids", where, len(d.Layers), len(cf.RootFS.DiffIDs))
	}
	man := v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2, Config: cd}
	layers := map[v1.Hash]tarEntry{}
	for i, p := range d.Layers {
		e, err := checkEntry(toc, p, -1, where)
		if err != nil {
			return nil, err
		}
		ld := v1.Descriptor{MediaType: types.DockerLayer, Size: e.size}
		var named bool
		if ld.Digest, named = nameDigest(p); !named || ld.Digest == cf.RootFS.DiffIDs[i] {
			ld.Digest, ld.MediaType = cf.RootFS.DiffIDs[i], types.DockerUncompressedLayer
		}
		layers[ld.Digest] = e
		man.Layers = append(man.Layers, ld)
	}
	rawMan, err := json.Marshal(man)
	if err != nil {
		return nil, err
	}
	open := func(l v1.Descriptor) (io.ReadCloser, error) { return openEntry(file, layers[l.Digest]) }
	img, err := newVerified(where, man.MediaType, rawMan, config, open)
	if err != nil {
		return nil, err
	}
	h, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	out := &Image{Digest: h, Image: img}
	if tag != nil {
		out.Reference = tag.String()
	} else if len(d.RepoTags) > 0 {
		out.Reference = d.RepoTags[0]
	}
	return out, nil
}

// nameDigest is the digest an archive's file name states: blobs/sha256/HEX
// (docker 25), HEX.json (docker's configuration), HEX.tar.gz, HEX.tar.zst
// or HEX.tar (go-containerregistry), possibly after sha256:. Docker's
// ID/layer.tar states none (the ID is not a digest of the content).
func nameDigest(p string) (v1.Hash, bool) {
	p = path.Clean(p)
	base := path.Base(p)
	if path.Dir(p) != "blobs/sha256" {
		base = strings.TrimPrefix(base, "sha256:")
		for _, ext := range []string{".json", ".tar.gz", ".tar.zst", ".tar"} {
			if b, ok := strings.CutSuffix(base, ext); ok {
				base = b
				break
			}
		}
	}
	h, err := v1.NewHash("sha256:" + base)
	return h, err == nil
}

// sectionFile is an entry's data, read from its own handle on the file.
type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s sectionFile) Close() error { return s.f.Close() }

func openEntry(file string, e tarEntry) (io.ReadCloser, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	return sectionFile{io.NewSectionReader(f, e.offset, e.size), f}, nil
}

// checkEntry follows links as docker load does (relative to the link's
// directory, within the archive) to a regular entry of at most max bytes
// (max < 0: any size), and returns it.
func checkEntry(toc map[string]tarEntry, name string, max int64, where string) (tarEntry, error) {
	name = path.Clean(name)
	for range maxLinkHops {
		e, ok := toc[name]
		switch {
		case !ok:
			return e, fmt.Errorf("%s: no %s in the archive", where, bounded(name))
		case e.typeflag == tar.TypeSymlink || e.typeflag == tar.TypeLink:
			name = path.Join(path.Dir(name), path.Clean(e.link))
			continue
		case e.typeflag != tar.TypeReg:
			return e, fmt.Errorf("%s: %s is not a regular file in the archive (type %q)", where, bounded(name), e.typeflag)
		case max >= 0 && e.size > max:
			return e, fmt.Errorf("%s: %s of %d bytes is over the %d limit", where, bounded(name), e.size, max)
		}
		return e, nil
	}
	return tarEntry{}, fmt.Errorf("%s: %s: more than %d links", where, bounded(name), maxLinkHops)
}

// chooseSaved picks the image of a docker save tarball: by RepoTag, by
// image id (the configuration's digest, as docker images --no-trunc shows
// it), or the only one. The tag is what the tarball package is to read it
// by (nil: the only image).
func chooseSaved(m tarball.Manifest, src Source, where string) (*tarball.Descriptor, *name.Tag, error) {
	if len(m) == 0 {
		return nil, nil, fmt.Errorf("%s %w: its manifest.json lists none", where, ErrNoImage)
	}
	tags := func() string {
		var out []string
		for _, d := range m {
			out = append(out, d.RepoTags...)
		}
		if len(out) > 5 {
			out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
		}
		return strings.Join(out, ", ")
	}
	switch {
	case src.Name != "":
		want, err := name.NewTag(src.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %q is not an image tag: %v", where, src.Name, err)
		}
		for i := range m {
			for _, t := range m[i].RepoTags {
				if got, err := name.NewTag(t); err == nil && got.Name() == want.Name() {
					return &m[i], &want, nil
				}
			}
		}
		return nil, nil, fmt.Errorf("%s %w tagged %s; it holds %s", where, ErrNoImage, src.Name, tags())
	case src.Digest != "":
		hex := strings.TrimPrefix(src.Digest, "sha256:")
		for i := range m {
			// docker names it <hex>.json, or blobs/sha256/<hex>; go-containerregistry sha256:<hex>.
			if strings.TrimPrefix(strings.TrimSuffix(path.Base(m[i].Config), ".json"), "sha256:") != hex {
				continue
			}
			if len(m) == 1 {
				return &m[i], nil, nil
			}
			if len(m[i].RepoTags) == 0 {
				return nil, nil, fmt.Errorf("%s: image %s has no tag to read it by among %d images: save it alone", where, src.Digest, len(m))
			}
			t, err := name.NewTag(m[i].RepoTags[0])
			if err != nil {
				return nil, nil, fmt.Errorf("%s: RepoTag %q: %v", where, m[i].RepoTags[0], err)
			}
			return &m[i], &t, nil
		}
		return nil, nil, fmt.Errorf("%s %w with id %s; it holds %s", where, ErrNoImage, src.Digest, tags())
	case len(m) > 1:
		return nil, nil, fmt.Errorf("%s holds %d images (%s): choose one with %s:TAG or @sha256:IMAGE-ID", where, len(m), tags(), where)
	}
	return &m[0], nil, nil
}

// bounded shortens a name an archive supplied for a message.
func bounded(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
