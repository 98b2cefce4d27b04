package bpf

// The objects and their Go bindings are committed, so building kubeward
// needs no clang. Regenerate after changing c/ (needs clang and libbpf's
// headers: apt-get install clang llvm libbpf-dev); TestObjectsCurrent
// fails, where clang is installed, until the committed files match the
// sources.
//
//go:generate go tool bpf2go -tags linux -target bpfel -type event_hdr -type guard -type allow_key -type prefix_key -type name_key kubeward c/kubeward.bpf.c -- -I./c -I/usr/include/x86_64-linux-gnu -I/usr/include/aarch64-linux-gnu -Wall -Werror
