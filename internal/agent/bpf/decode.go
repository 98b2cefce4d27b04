package bpf

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"github.com/kubeward/kubeward/internal/agent/event"
	"golang.org/x/sys/unix"
)

// Sizes of the C side (kubeward.bpf.c).
const (
	pathLen = 256
	strLen  = 128
)

const hdrSize = int(unsafe.Sizeof(kubewardEventHdr{}))

// Clock converts the kernel's boot-time stamps to wall time.
type Clock struct{ offset time.Duration }

// NewClock measures the offset between CLOCK_BOOTTIME and the wall clock.
func NewClock() Clock {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return Clock{offset: time.Duration(time.Now().UnixNano() - ts.Nano())}
}

// Decode fills e from a ring buffer record. Strings are copied.
func (c Clock) Decode(raw []byte, e *event.Event) error {
	if len(raw) < hdrSize {
		return fmt.Errorf("bpf: event of %d bytes, shorter than its header (%d)", len(raw), hdrSize)
	}
	h := (*kubewardEventHdr)(unsafe.Pointer(&raw[0]))
	data := raw[hdrSize:]
	*e = event.Event{
		Time:    time.Unix(0, int64(h.Ts)+int64(c.offset)),
		Kind:    event.Kind(h.Kind),
		Op:      event.Op(h.Op),
		Flags:   event.Flags(h.Flags),
		Cgroup:  h.Cgroup,
		PID:     h.Pid,
		TID:     h.Tid,
		PPID:    h.Ppid,
		UID:     h.Uid,
		EUID:    h.Euid,
		OldUID:  h.OldUid,
		OldEUID: h.OldEuid,
		MntNS:   h.Mntns,
		NetNS:   h.Netns,
		Ret:     h.Ret,
		Arg:     h.Arg,
		Comm:    cstring(unsafe.Slice((*byte)(unsafe.Pointer(&h.Comm[0])), len(h.Comm))),
	}
	str := func(off, n int) string {
		if off+n > len(data) {
			return ""
		}
		return cstring(data[off : off+n])
	}
	switch e.Kind {
	case event.Exec:
		e.Path = str(0, int(h.Len1))
		e.Remote, e.RemotePort = addr(h.Family, h.Daddr), h.Dport
		if n := int(h.Len2); n > 0 && pathLen+n <= len(data) {
			e.Args = splitArgs(data[pathLen : pathLen+n])
		}
	case event.Open, event.ExecDenied:
		e.Path = str(0, int(h.Len1))
	case event.Syscall:
		e.Path = str(0, min(int(h.Len1), strLen))
		e.Str2 = str(strLen, min(int(h.Len2), strLen))
	case event.Connect:
		e.Proto = h.Proto
		e.LocalPort, e.RemotePort = h.Sport, h.Dport
		e.Local, e.Remote = addr(h.Family, h.Saddr), addr(h.Family, h.Daddr)
	}
	return nil
}

func addr(family uint16, b [16]byte) netip.Addr {
	switch family {
	case unix.AF_INET:
		return netip.AddrFrom4([4]byte(b[:4]))
	case unix.AF_INET6:
		return netip.AddrFrom16(b).Unmap()
	}
	return netip.Addr{}
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// splitArgs splits the NUL-separated argument block of a process.
func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
