// Command kubeward finds and stops insecure Kubernetes settings.
package main

import (
	"os"

	_ "github.com/kubeward/kubeward/internal/checks/all" // registers every check
	"github.com/kubeward/kubeward/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, OutFile: os.Stdout}))
}
