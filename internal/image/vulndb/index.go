package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/image/vuln"
)

// The index maps a package name to the archive entries (advisories) that
// name it, so a scan reads only the advisories of the image's packages from
// the archive: memory follows the image's package list, never the size of
// the database (Debian's and npm's archives hold hundreds of thousands of
// advisories).
//
// Its file is text, one record per line, sorted by key:
//
//	kubeward-osv-index 1 <archive size> <records>
//	<key> TAB <data offset> TAB <compressed size> TAB <size> TAB <method> TAB <crc32>
//
// where the numbers locate the entry's data in all.zip (zip.File.DataOffset)
// so it is read without loading the zip's central directory. Records are
// looked up through fences, every fenceEvery-th key kept in memory.
const (
	indexMagic = "kubeward-osv-index"
	// indexVersion 2 keys PyPI names normalised too.
	indexVersion = 2
	indexFile    = "kubeward.index"
	ratingsMagic = "kubeward-osv-ratings"
	ratingsFile  = "kubeward.ratings"
	archiveFile  = "all.zip"
	fenceEvery   = 64
	// maxAdvisoryBytes bounds one advisory, inflated: the largest real ones
	// (kernel CVEs listing every affected version) are a few MiB.
	maxAdvisoryBytes = 64 << 20
	// maxKeyBytes drops absurd package names from the index.
	maxKeyBytes = 1024
)

// entry locates one advisory in the archive.
type entry struct {
	off, csize, size int64
	method           uint16
	crc              uint32
}

// buildIndex writes the index and the ratings of the archive in dir.
//
// The index keeps each affected package's name as the advisory writes it
// (for Debian and Alpine the source package, for Maven group:artifact, for
// Go the module path), lower-cased, and for PyPI normalised (PEP 503): the
// matcher decides exactly, the index only has to hold every advisory that
// might apply.
//
// The ratings map every advisory id and alias to the advisory's own
// rating, so an advisory without one (Debian's, Alpine's and the Go
// database's state none) can take that of an alias in any ecosystem
// downloaded (GitHub's advisories and Ubuntu's rate most CVEs).
func buildIndex(dir string) (records int, err error) {
	zipPath := filepath.Join(dir, archiveFile)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", zipPath, err)
	}
	defer zr.Close()
	st, err := os.Stat(zipPath)
	if err != nil {
		return 0, err
	}
	var recs, rates []string
	bins := map[string]bool{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") || f.UncompressedSize64 > maxAdvisoryBytes {
			continue
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", zipPath, f.Name, err)
		}
		data, err := readEntry(f)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", zipPath, f.Name, err)
		}
		v, err := decode(data)
		if err != nil {
			continue // the matcher could not read it either
		}
		loc := fmt.Sprintf("%d\t%d\t%d\t%d\t%d", off, f.CompressedSize64, f.UncompressedSize64, f.Method, f.CRC32)
		seen := map[string]bool{}
		for _, af := range v.GetAffected() {
			name := af.GetPackage().GetName()
			keys := []string{name, strings.ToLower(name)}
			if eco, _, _ := strings.Cut(af.GetPackage().GetEcosystem(), ":"); eco == "PyPI" {
				keys = append(keys, pep503(name))
			}
			for _, k := range keys {
				if validKey(k) && !seen[k] {
					seen[k] = true
					recs = append(recs, k+"\t"+loc)
				}
			}
		}
		for _, b := range binaryRecords(v) {
			bins[b] = true
		}
		if v.GetWithdrawn() != nil {
			continue
		}
		if r := rate(v, v.GetAffected()); r.severity != vuln.Unrated {
			value := fmt.Sprintf("%s\t%g\t%s\t%s", r.severity, r.score, r.vector, v.GetId())
			for _, id := range append([]string{v.GetId()}, append(v.GetAliases(), v.GetUpstream()...)...) {
				if validKey(id) {
					rates = append(rates, id+"\t"+value)
				}
			}
		}
	}
	header := fmt.Sprintf("%s %d %d %d\n", indexMagic, indexVersion, st.Size(), len(recs))
	if err := writeSorted(filepath.Join(dir, indexFile), header, recs); err != nil {
		return 0, err
	}
	header = fmt.Sprintf("%s %d %d %d\n", ratingsMagic, indexVersion, st.Size(), len(rates))
	if err := writeSorted(filepath.Join(dir, ratingsFile), header, rates); err != nil {
		return 0, err
	}
	header = fmt.Sprintf("%s %d %d %d\n", binariesMagic, indexVersion, st.Size(), len(bins))
	return len(recs), writeSorted(filepath.Join(dir, binariesFile), header, slices.Collect(maps.Keys(bins)))
}

// validKey refuses keys that would break the file's lines or its order
// (control bytes sort before the TAB that ends a key).
func validKey(k string) bool {
	if k == "" || len(k) > maxKeyBytes {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 {
			return false
		}
	}
	return true
}

// writeSorted sorts the lines by key (then value) and writes them after
// the header, replacing name atomically.
func writeSorted(name, header string, lines []string) error {
	slices.Sort(lines) // TAB sorts before every printable byte, so keys sort first
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	w.WriteString(header)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// readEntry inflates one advisory during indexing (through archive/zip,
// which checks the CRC).
func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxAdvisoryBytes))
}

// sortedFile is a text file of key TAB value lines sorted by key, after a
// header line, looked up through fences: every fenceEvery-th key and its
// offset, kept in memory (a few hundred KiB for the largest archives).
type sortedFile struct {
	f      *os.File
	header string
	fences []fence
	start  int64 // offset of the first record
}

type fence struct {
	key string
	off int64
}

func openSorted(name string) (*sortedFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	sf := &sortedFile{f: f}
	br := bufio.NewReaderSize(f, 64<<10)
	if sf.header, err = br.ReadString('\n'); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: no header", name)
	}
	sf.start = int64(len(sf.header))
	off := sf.start
	for i := 0; ; i++ {
		line, err := br.ReadSlice('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if i%fenceEvery == 0 {
			key, _, _ := bytes.Cut(line, []byte{'\t'})
			sf.fences = append(sf.fences, fence{key: string(key), off: off})
		}
		off += int64(len(line))
	}
	return sf, nil
}

// lookup calls fn with the value of every record under key. br, when not
// nil, is reused.
func (sf *sortedFile) lookup(br *bufio.Reader, key string, fn func(value []byte) error) error {
	// The first fence at or after key; key's records start after the fence
	// before it (a key's records may run across fences).
	i := sort.Search(len(sf.fences), func(i int) bool { return sf.fences[i].key >= key })
	from := sf.start
	if i > 0 {
		from = sf.fences[i-1].off
	}
	section := io.NewSectionReader(sf.f, from, 1<<62)
	if br == nil {
		br = bufio.NewReaderSize(section, 4<<10)
	} else {
		br.Reset(section)
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		k, value, _ := bytes.Cut(line[:len(line)-1], []byte{'\t'})
		switch c := strings.Compare(string(k), key); {
		case c < 0:
			continue
		case c > 0:
			return nil
		}
		if err := fn(value); err != nil {
			return err
		}
	}
}

// ecoIndex is one ecosystem's opened archive and index.
type ecoIndex struct {
	archive *os.File
	index   *sortedFile
	// binaries is nil for an index built before binaries files were (see
	// binaries.go).
	binaries *sortedFile
}

var errStale = errors.New("the archive changed after its index was built (run kubeward images db update)")

// openIndex opens an ecosystem's archive and index and reads the fences.
func openIndex(dir string) (*ecoIndex, error) {
	archive, err := os.Open(filepath.Join(dir, archiveFile))
	if err != nil {
		return nil, err
	}
	index, err := openSorted(filepath.Join(dir, indexFile))
	if err != nil {
		archive.Close()
		return nil, err
	}
	ix := &ecoIndex{archive: archive, index: index}
	if err := ix.checkHeader(index, indexMagic); err != nil {
		ix.close()
		return nil, err
	}
	switch ix.binaries, err = openSorted(filepath.Join(dir, binariesFile)); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		ix.close()
		return nil, err
	default:
		if err := ix.checkHeader(ix.binaries, binariesMagic); err != nil {
			ix.close()
			return nil, err
		}
	}
	return ix, nil
}

func (ix *ecoIndex) close() {
	ix.archive.Close()
	ix.index.f.Close()
	if ix.binaries != nil {
		ix.binaries.f.Close()
	}
}

// indexCurrent reports whether the index of the ecosystem directory dir
// was built in this kubeward's format, with every file of it.
func indexCurrent(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, binariesFile)); err != nil {
		return false
	}
	f, err := os.Open(filepath.Join(dir, indexFile))
	if err != nil {
		return false
	}
	defer f.Close()
	header, err := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	if err != nil {
		return false
	}
	var magic string
	var version int
	_, err = fmt.Sscanf(header, "%s %d", &magic, &version)
	return err == nil && magic == indexMagic && version == indexVersion
}

// checkHeader refuses an index, or a binaries file, of another format or
// of another archive.
func (ix *ecoIndex) checkHeader(sf *sortedFile, magic string) error {
	var got string
	var version int
	var size, n int64
	if _, err := fmt.Sscanf(sf.header, "%s %d %d %d\n", &got, &version, &size, &n); err != nil || got != magic {
		return fmt.Errorf("not a kubeward OSV index")
	}
	if version != indexVersion {
		return fmt.Errorf("index version %d, want %d (run kubeward images db update)", version, indexVersion)
	}
	st, err := ix.archive.Stat()
	if err != nil {
		return err
	}
	if st.Size() != size {
		return errStale
	}
	return nil
}

// lookup returns the entries recorded under key.
func (ix *ecoIndex) lookup(rd *reader, key string) ([]entry, error) {
	var out []entry
	err := ix.index.lookup(rd.lines(), key, func(v []byte) error {
		e, err := parseEntry(v)
		out = append(out, e)
		return err
	})
	return out, err
}

func parseEntry(b []byte) (entry, error) {
	f := strings.Split(string(b), "\t")
	if len(f) != 5 {
		return entry{}, fmt.Errorf("index: malformed record")
	}
	var n [5]uint64
	for i, s := range f {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return entry{}, fmt.Errorf("index: malformed record")
		}
		n[i] = v
	}
	if n[1] > 1<<40 || n[2] > maxAdvisoryBytes || n[3] > 0xffff || n[4] > 0xffffffff {
		return entry{}, fmt.Errorf("index: malformed record")
	}
	return entry{off: int64(n[0]), csize: int64(n[1]), size: int64(n[2]), method: uint16(n[3]), crc: uint32(n[4])}, nil
}

// reader reads advisories and index records for one match, reusing its
// buffers and inflater (a flate reader allocates tens of KiB).
type reader struct {
	flate io.ReadCloser
	buf   []byte
	br    *bufio.Reader
}

// lines is the reader of index records, reused.
func (rd *reader) lines() *bufio.Reader {
	if rd.br == nil {
		rd.br = bufio.NewReaderSize(nil, 4<<10)
	}
	return rd.br
}

// read inflates one advisory from the archive and checks its CRC, so an
// archive replaced under its index is noticed rather than misread. The
// bytes are valid until the next read.
func (rd *reader) read(ix *ecoIndex, e entry) ([]byte, error) {
	var r io.Reader = io.NewSectionReader(ix.archive, e.off, e.csize)
	switch e.method {
	case zip.Store:
	case zip.Deflate:
		if rd.flate == nil {
			rd.flate = flate.NewReader(r)
		} else if err := rd.flate.(flate.Resetter).Reset(r, nil); err != nil {
			return nil, err
		}
		r = rd.flate
	default:
		return nil, fmt.Errorf("archive entry: compression method %d", e.method)
	}
	if int64(cap(rd.buf)) < e.size {
		rd.buf = make([]byte, e.size)
	}
	buf := rd.buf[:e.size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("archive entry at %d: %w", e.off, err)
	}
	if crc32.ChecksumIEEE(buf) != e.crc {
		return nil, errStale
	}
	return buf, nil
}
