// Command decode-baseline is the yardstick of docs/PERFORMANCE.md: it only
// decodes every YAML document under a directory into maps with
// sigs.k8s.io/yaml, on a fixed number of workers, and checks nothing.
// kubeward with all its checks must be faster than this.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func main() {
	workers := flag.Int("workers", 2, "decoding goroutines")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: decode-baseline [-workers N] DIR")
		os.Exit(2)
	}
	files := make(chan string)
	var docs, failed atomic.Int64
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					failed.Add(1)
					continue
				}
				r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
				for {
					doc, err := r.Read()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						failed.Add(1)
						break
					}
					var m map[string]any
					if yaml.Unmarshal(doc, &m) != nil {
						failed.Add(1)
					}
					docs.Add(1)
				}
			}
		}()
	}
	err := filepath.WalkDir(flag.Arg(0), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				files <- p
			}
		}
		return err
	})
	close(files)
	wg.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d documents decoded, %d failures\n", docs.Load(), failed.Load())
}
