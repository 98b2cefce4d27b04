// Package local reads images that are not in a registry (yet): an OCI
// image layout directory (buildah push oci:, skopeo copy oci:, docker
// buildx --output type=oci,tar=false, ko --oci-layout-path), an OCI archive
// (the same layout as a tar) and a docker save tarball, through
// go-containerregistry's layout and tarball packages. They are named as
// Syft and Grype name them (oci-dir:PATH, oci-archive:PATH,
// docker-archive:PATH), with skopeo's suffix to choose one image of
// several (PATH:NAME, a reference name or a RepoTag; PATH@sha256:HEX, a
// digest). What those packages read whole (the index, manifests, the
// configuration, docker's manifest.json) is bounded here first; the
// layers are bounded where they are unpacked (internal/image/sbom), as a
// registry image's are.
package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/registry"
)

// The schemes of local sources.
const (
	OCIDir        = "oci-dir"
	OCIArchive    = "oci-archive"
	DockerArchive = "docker-archive"
)

// Schemes lists the schemes of local sources.
var Schemes = []string{OCIDir, OCIArchive, DockerArchive}

// ErrNoImage is a source that holds no image (an empty index.json or
// manifest.json, or none chosen by the selector).
var ErrNoImage = errors.New("holds no image")

// Source is a parsed local image source.
type Source struct {
	Scheme string
	Path   string
	// Name chooses an image by reference name (the OCI annotation
	// org.opencontainers.image.ref.name or io.containerd.image.name; a
	// docker save RepoTag); Digest by digest (an index entry's manifest
	// digest; for docker save, the image id, its configuration's digest).
	Name, Digest string
}

// String is the source as written.
func (s Source) String() string {
	out := s.Scheme + ":" + s.Path
	if s.Name != "" {
		out += ":" + s.Name
	}
	if s.Digest != "" {
		out += "@" + s.Digest
	}
	return out
}

// IsLocal reports whether spec names a local source (by its scheme).
func IsLocal(spec string) bool {
	scheme, _, ok := strings.Cut(spec, ":")
	return ok && slices.Contains(Schemes, scheme)
}

// Parse reads SCHEME:PATH[:NAME|@sha256:HEX]. A path that itself holds
// ':' or '@' is taken whole when exists says it is there.
func Parse(spec string, exists func(string) bool) (Source, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok || !slices.Contains(Schemes, scheme) {
		return Source{}, fmt.Errorf("%q is not a local image source (%s:PATH)", spec, strings.Join(Schemes, ":PATH, "))
	}
	s := Source{Scheme: scheme, Path: rest}
	if rest == "" || exists == nil || !exists(rest) {
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			h, err := v1.NewHash(rest[i+1:])
			if err != nil {
				return Source{}, fmt.Errorf("%s: %q is not a digest (sha256:<64 hex digits>): %v", spec, rest[i+1:], err)
			}
			s.Path, s.Digest = rest[:i], h.String()
		} else if p, name, ok := strings.Cut(rest, ":"); ok {
			if name == "" {
				return Source{}, fmt.Errorf("%s: empty image name after the path", spec)
			}
			s.Path, s.Name = p, name
		}
	}
	if s.Path == "" {
		return Source{}, fmt.Errorf("%s: no path", spec)
	}
	return s, nil
}

// Image is a local image, read for its packages.
type Image struct {
	Source Source
	// Reference is the reference the image names itself by, when it does
	// (a docker save RepoTag, a reference name that is a whole reference),
	// else "".
	Reference string
	// Digest names what was chosen, as a registry reference would: the
	// image's manifest, or the index its platform's image was chosen from.
	Digest v1.Hash
	// Image is the chosen platform's image.
	Image   v1.Image
	cleanup func() error
}

// Close removes what reading the source left on disk (an OCI archive's
// unpacked copy, a compressed docker save tarball's decompressed copy).
func (i *Image) Close() error {
	if i.cleanup == nil {
		return nil
	}
	return i.cleanup()
}

// Open reads the image of a local source; platform chooses from an index
// (the zero value: linux/amd64). Errors name the file and what is wrong.
// The caller closes the image.
func Open(spec string, platform v1.Platform) (*Image, error) {
	return OpenWith(spec, platform, Options{})
}

// OpenWith is Open within opts' bounds.
func OpenWith(spec string, platform v1.Platform, opts Options) (*Image, error) {
	src, err := Parse(spec, func(p string) bool { _, err := os.Lstat(p); return err == nil })
	if err != nil {
		return nil, err
	}
	if platform.OS == "" {
		platform = registry.DefaultPlatform
	}
	var img *Image
	switch src.Scheme {
	case OCIDir:
		img, err = openLayout(src.Path, src, platform)
	case OCIArchive:
		img, err = openOCIArchive(src, platform, opts)
	default:
		img, err = openDockerArchive(src, platform, opts)
	}
	if err != nil {
		return nil, err
	}
	img.Source = src
	return img, nil
}

// regularFile checks that path is a regular file (not a device, a pipe or
// a directory: a read of those never ends or means nothing) of at most
// max bytes (max < 0: any size), and returns its size.
func regularFile(path string, max int64, what string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("%s: no such file", path)
		}
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file (%s), which %s must be", path, st.Mode().Type(), what)
	}
	if max >= 0 && st.Size() > max {
		return 0, fmt.Errorf("%s: %s of %d bytes is over the %d limit", path, what, st.Size(), max)
	}
	return st.Size(), nil
}

// clean names a path for messages: relative paths as given.
func clean(p string) string { return filepath.Clean(p) }
