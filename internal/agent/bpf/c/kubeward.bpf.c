// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kubeward's node agent: what processes, files and sockets do.
 *
 * Tracepoints, BTF-typed raw tracepoints (tp_btf), cgroup socket address
 * hooks (UDP) and one optional BPF LSM hook (exec allowlist). No kprobes
 * and no fentry: hardened kernels are built without CONFIG_KPROBES, and
 * without the function tracer the kernel refuses trampoline programs.
 *
 * Events go to one ring buffer. An event that does not fit is counted in
 * `drops` by kind; user space reports the count, so no loss is silent.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "kernel.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PATH_LEN 256
#define ARGS_LEN 1024 /* power of two: lengths are masked with ARGS_LEN-1 */
#define STR_LEN 128
#define NAME_LEN 32
#define PREFIX_LEN 64

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define FMODE_WRITE 0x2
#define EPERM 1

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7

enum kind {
	KIND_EXEC = 1,
	KIND_EXIT = 2,
	KIND_OPEN = 3,
	KIND_SYSCALL = 4,
	KIND_CONNECT = 5,
	KIND_EXEC_DENIED = 6,
	KIND_MAX = 7,
};

/* Syscall events: op. */
enum op {
	OP_SETUID = 1,
	OP_SETREUID,
	OP_SETRESUID,
	OP_SETGID,
	OP_SETREGID,
	OP_SETRESGID,
	OP_CAPSET,
	OP_SETNS,
	OP_UNSHARE,
	OP_MOUNT,
	OP_PTRACE,
	OP_INIT_MODULE,
	OP_FINIT_MODULE,
};

/* Connection events: op. */
enum conn_op {
	CONN_ATTEMPT = 1,     /* TCP SYN sent: the destination is known, not yet reached */
	CONN_ESTABLISHED = 2, /* TCP handshake completed */
	CONN_DATAGRAM = 3,    /* UDP: connect, send or receive (deduplicated) */
};

enum flag {
	F_TTY = 1 << 0,          /* exec: the process has a controlling terminal */
	F_STDIN_INET = 1 << 1,   /* exec: fd 0 is an IPv4/IPv6 socket */
	F_STDOUT_INET = 1 << 2,  /* exec: fd 1 is an IPv4/IPv6 socket */
	F_ARGS_CUT = 1 << 3,     /* exec: the arguments were longer than ARGS_LEN */
	F_WRITE = 1 << 4,        /* open: for writing */
	F_INBOUND = 1 << 5,      /* connect: the peer opened the connection */
	F_ENFORCED = 1 << 6,     /* exec denied: enforced (else dry run) */
	F_PID_KNOWN = 1 << 7,    /* pid, comm and credentials are the process's own */
};

/* The header of every event; strings follow it in data. */
struct event_hdr {
	__u64 ts;      /* CLOCK_BOOTTIME, ns */
	__u64 cgroup;  /* cgroup v2 id (inode number of its directory) */
	__u32 kind;
	__u32 op;
	__u32 pid;     /* thread group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 euid;
	__u32 flags;
	__u32 mntns;
	__u32 netns;
	__s64 ret;     /* syscall result, exit status, open class */
	__u64 arg[4];
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 proto;
	__u16 len1;    /* bytes of the first string in data, NUL included */
	__u16 len2;    /* bytes of the second: data[STR_LEN] for syscalls, data[PATH_LEN] for exec */
	__u32 old_uid;  /* syscall: the credentials before the call (the others are after) */
	__u32 old_euid;
	char comm[16];
};

struct small_event {
	struct event_hdr h;
	char data[PATH_LEN];
};

struct exec_event {
	struct event_hdr h;
	char data[PATH_LEN + ARGS_LEN];
};

/* Referenced so that bpf2go emits Go types for them. */
const struct event_hdr *unused_hdr __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KIND_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Sensitive path prefixes: value is the class user space gave them. */
struct prefix_key {
	__u32 prefixlen; /* bits */
	__u8 data[PREFIX_LEN];
};
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_key);
	__type(value, __u32);
} prefixes SEC(".maps");

/* File and directory names that make an open for reading worth resolving
 * to a path: the last component of each sensitive path. */
struct name_key {
	char name[NAME_LEN];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct name_key);
	__type(value, __u8);
} names SEC(".maps");

/* Cgroups (v2 ids) below which every regular file opened for writing is
 * reported, unclassified (ret 0): the pods' parent cgroups, for the
 * baselines of files written. Empty: only writes under a sensitive prefix
 * are reported. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} write_roots SEC(".maps");

/* A syscall between its entry and its exit. */
struct pending {
	__u32 op;
	__u32 uid;
	__u32 euid;
	__u32 pad;
	__u64 arg[4];
	char str1[STR_LEN];
	char str2[STR_LEN];
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending);
} pending SEC(".maps");

const struct pending zero_pending = {};

/* UDP flows already reported, with when: one event per flow and period. */
struct flow_key {
	__u64 cgroup;
	__u8 addr[16];
	__u16 port;
	__u16 lport;
	__u8 inbound;
	__u8 family;
	__u16 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

volatile const __u64 udp_period_ns = 10ULL * 1000 * 1000 * 1000;

/* Exec allowlist (BPF LSM). guarded: cgroup id -> policy; allowed:
 * (policy, path) for every binary the policy allows. */
struct guard {
	__u32 policy;
	__u32 enforce; /* 0: dry run (report), 1: deny */
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct guard);
} guarded SEC(".maps");

struct allow_key {
	__u32 policy;
	char path[PATH_LEN - 4];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct allow_key);
	__type(value, __u8);
} allowed SEC(".maps");

static __always_inline void count_drop(__u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &kind);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void *reserve(__u64 size, __u32 kind)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		count_drop(kind);
	return e;
}

/* The reader is woken each time this many bytes more are unread (set by
 * the loader: a sixteenth of the ring), not at every event: a wakeup costs
 * the producing CPU an interrupt (on a virtual machine, an exit to the
 * hypervisor: microseconds, more than the rest of the event) and the
 * reader a context switch per event. The reader also polls the ring
 * every few tens of milliseconds, which bounds the delay at low rates. */
volatile const __u64 wakeup_bytes = 512 << 10;

/* submit commits e, of size bytes, waking the reader when the unread
 * data crosses a multiple of wakeup_bytes. */
static __always_inline void submit(void *e, __u64 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (wakeup_bytes && unread / wakeup_bytes != (unread > size ? unread - size : 0) / wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* fill_task fills the header from the current task. */
static __always_inline void fill_task(struct event_hdr *h, __u32 kind)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	__builtin_memset(h, 0, sizeof(*h));
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup = bpf_get_current_cgroup_id();
	h->kind = kind;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->uid = BPF_CORE_READ(t, cred, uid.val);
	h->euid = BPF_CORE_READ(t, cred, euid.val);
	h->mntns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
	h->netns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
	h->flags = F_PID_KNOWN;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* inet_peer reports whether fd of t is an IPv4 or IPv6 socket, and if so
 * fills its peer address into h. */
static __always_inline int inet_peer(struct task_struct *t, int fd, struct event_hdr *h)
{
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	struct file *f = 0;

	if (!fds || fd >= max)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	h->family = fam;
	h->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (fam == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(h->daddr, &a, 4);
	} else {
		BPF_CORE_READ_INTO(&h->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	return 1;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct exec_event *e = reserve(sizeof(*e), KIND_EXEC);
	if (!e)
		return 0;
	fill_task(&e->h, KIND_EXEC);
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	e->h.arg[0] = BPF_CORE_READ(t, cred, cap_effective.val);
	if (BPF_CORE_READ(t, signal, tty))
		e->h.flags |= F_TTY;
	if (inet_peer(t, 0, &e->h))
		e->h.flags |= F_STDIN_INET;
	if (inet_peer(t, 1, &e->h))
		e->h.flags |= F_STDOUT_INET;

	const char *fn = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->data, PATH_LEN, fn);
	e->h.len1 = n > 0 ? n : 0;

	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	unsigned long len = end - start;
	if (end <= start)
		len = 0;
	if (len >= ARGS_LEN) {
		len = ARGS_LEN - 1;
		e->h.flags |= F_ARGS_CUT;
	}
	len &= ARGS_LEN - 1;
	if (len > 0 && bpf_probe_read_user(&e->data[PATH_LEN], len, (void *)start) == 0)
		e->h.len2 = len;
	submit(e, sizeof(*e));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid))
		return 0;
	struct event_hdr *h = reserve(sizeof(*h), KIND_EXIT);
	if (!h)
		return 0;
	fill_task(h, KIND_EXIT);
	h->ret = BPF_CORE_READ(p, exit_code);
	submit(h, sizeof(*h));
	return 0;
}

/* Syscalls: arguments at entry, the result at exit, paired by thread. */
struct sys_enter_ctx {
	__u64 ent;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};
struct sys_exit_ctx {
	__u64 ent;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* Path resolution without bpf_d_path, which only fentry and BPF LSM
 * programs may call (and both need trampolines, which kernels without
 * the function tracer refuse): walk the dentries up to the process's
 * root, crossing mounts through struct mount. */
#define MAX_DEPTH 16

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[PATH_LEN * 2]);
} scratch SEC(".maps");

/* file_path writes f's path, as the current process sees it, into buf
 * (PATH_LEN * 2 bytes; the path is cut at PATH_LEN). It returns the
 * length, or -1 when the path is deeper than MAX_DEPTH. */
static __always_inline long file_path(struct file *f, char *buf)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct dentry *root_d = BPF_CORE_READ(t, fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(t, fs, root.mnt);
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (struct mount *)((void *)vm - mnt_off);
	const unsigned char *names[MAX_DEPTH] = {};
	int n = 0;

#pragma unroll
	for (int i = 0; i < MAX_DEPTH + 8; i++) {
		if (d == root_d && vm == root_m)
			break;
		if (d == BPF_CORE_READ(vm, mnt_root)) {
			struct mount *parent = BPF_CORE_READ(m, mnt_parent);
			if (parent == m)
				break;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = parent;
			vm = (struct vfsmount *)((void *)parent + mnt_off);
			continue;
		}
		if (n >= MAX_DEPTH)
			return -1;
		names[n & (MAX_DEPTH - 1)] = BPF_CORE_READ(d, d_name.name);
		n++;
		struct dentry *up = BPF_CORE_READ(d, d_parent);
		if (up == d)
			break;
		d = up;
	}
	long off = 0;
	if (n == 0) {
		buf[0] = '/';
		buf[1] = 0;
		return 1;
	}
#pragma unroll
	for (int i = MAX_DEPTH - 1; i >= 0; i--) {
		if (i >= n || off >= PATH_LEN - 1)
			continue;
		buf[off & (PATH_LEN - 1)] = '/';
		off++;
		long r = bpf_probe_read_kernel_str(&buf[off & (PATH_LEN - 1)], PATH_LEN, names[i]);
		if (r > 1)
			off += r - 1;
	}
	if (off > PATH_LEN - 1)
		off = PATH_LEN - 1;
	buf[off & (PATH_LEN - 1)] = 0;
	return off;
}

/* name_listed reports whether the name of d is in names. */
static __always_inline int name_listed(struct dentry *d)
{
	struct name_key k = {};
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	if (bpf_probe_read_kernel_str(k.name, sizeof(k.name), name) <= 0)
		return 0;
	return bpf_map_lookup_elem(&names, &k) != 0;
}

/* classify looks path up in the prefixes: its class, or 0. */
static __always_inline __u32 classify(const char *path)
{
	struct prefix_key k = {.prefixlen = PREFIX_LEN * 8};
	bpf_probe_read_kernel(k.data, sizeof(k.data), path);
	__u32 *c = bpf_map_lookup_elem(&prefixes, &k);
	return c ? *c : 0;
}

/* WRITE_ROOT_DEPTH bounds how far up the cgroup tree under_write_root
 * looks: kubepods.slice/kubepods-<qos>.slice/<pod>.slice/<container> is
 * four levels, and runtimes nest the kubelet's tree one or two deeper. */
#define WRITE_ROOT_DEPTH 8

/* under_write_root reports whether the current process's cgroup v2 is in
 * write_roots or below one. */
static __always_inline int under_write_root(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	int found = 0;

#pragma unroll
	for (int i = 0; i < WRITE_ROOT_DEPTH; i++) {
		if (cg && !found) {
			__u64 id = BPF_CORE_READ(cg, kn, id);
			found = bpf_map_lookup_elem(&write_roots, &id) != 0;
			cg = BPF_CORE_READ(cg, self.parent, cgroup);
		}
	}
	return found;
}

/* Opens of files with a listed name (or under a listed directory, one or
 * two levels down) and every open for writing are resolved to a path and
 * classified; the ones in a class are reported, and so are opens for
 * writing of regular files by processes below a write root (class 0:
 * the baselines of files written). They are seen at the exit
 * of the open syscalls, from the file the new descriptor holds, so the
 * path is the one the kernel resolved (symlinks followed, relative to the
 * process's root), not the one the process gave. */
static __always_inline int on_open_exit(struct sys_exit_ctx *ctx)
{
	if (ctx->ret < 0)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	struct file *file = 0;
	if (!fds || ctx->ret >= max)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[ctx->ret]);
	if (!file)
		return 0;

	unsigned int mode = BPF_CORE_READ(file, f_mode);
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	if (!(mode & FMODE_WRITE)) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (!name_listed(d) && !name_listed(parent) && !name_listed(BPF_CORE_READ(parent, d_parent)))
			return 0;
	}
	__u32 zero = 0;
	char *path = bpf_map_lookup_elem(&scratch, &zero);
	if (!path)
		return 0;
	if (file_path(file, path) <= 0)
		return 0;
	__u32 class = classify(path);
	if (!class && (!(mode & FMODE_WRITE) || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFREG || !under_write_root()))
		return 0;
	struct small_event *e = reserve(sizeof(*e), KIND_OPEN);
	if (!e)
		return 0;
	fill_task(&e->h, KIND_OPEN);
	e->h.ret = class;
	if (mode & FMODE_WRITE)
		e->h.flags |= F_WRITE;
	long n = bpf_probe_read_kernel_str(e->data, PATH_LEN, path);
	e->h.len1 = n > 0 ? n : 0;
	submit(e, sizeof(*e));
	return 0;
}

/* What each syscall's strings are: user pointers in args[s1] and args[s2]
 * (-1: none). nargs is the syscall's arity: its tracepoint's context holds
 * that many arguments, and the kernel refuses to attach a program that
 * reads past it. */
static __always_inline int on_enter(struct sys_enter_ctx *ctx, __u32 op, int nargs, int s1, int s2)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&pending, &id, &zero_pending, BPF_ANY))
		return 0;
	struct pending *p = bpf_map_lookup_elem(&pending, &id);
	if (!p)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	p->op = op;
	p->uid = BPF_CORE_READ(t, cred, uid.val);
	p->euid = BPF_CORE_READ(t, cred, euid.val);
	if (nargs > 0)
		p->arg[0] = ctx->args[0];
	if (nargs > 1)
		p->arg[1] = ctx->args[1];
	if (nargs > 2)
		p->arg[2] = ctx->args[2];
	if (nargs > 3)
		p->arg[3] = ctx->args[3];
	if (s1 >= 0 && s1 < nargs)
		bpf_probe_read_user_str(p->str1, sizeof(p->str1), (void *)ctx->args[s1]);
	if (s2 >= 0 && s2 < nargs)
		bpf_probe_read_user_str(p->str2, sizeof(p->str2), (void *)ctx->args[s2]);
	if (op == OP_CAPSET) {
		/* struct __user_cap_data_struct data[2]: effective, permitted,
		 * inheritable of the low and high 32 capabilities. */
		__u32 d[6] = {};
		if (bpf_probe_read_user(d, sizeof(d), (void *)ctx->args[1]) == 0) {
			p->arg[2] = d[0] | ((__u64)d[3] << 32);
			p->arg[3] = d[1] | ((__u64)d[4] << 32);
		}
	}
	return 0;
}

static __always_inline int on_exit_call(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &id);
	if (!p)
		return 0;
	struct small_event *e = reserve(sizeof(*e), KIND_SYSCALL);
	if (!e) {
		bpf_map_delete_elem(&pending, &id);
		return 0;
	}
	fill_task(&e->h, KIND_SYSCALL);
	e->h.op = p->op;
	e->h.ret = ctx->ret;
	e->h.arg[0] = p->arg[0];
	e->h.arg[1] = p->arg[1];
	e->h.arg[2] = p->arg[2];
	e->h.arg[3] = p->arg[3];
	e->h.old_uid = p->uid;
	e->h.old_euid = p->euid;
	long n = bpf_probe_read_kernel_str(e->data, STR_LEN, p->str1);
	e->h.len1 = n > 0 ? n : 0;
	n = bpf_probe_read_kernel_str(&e->data[STR_LEN], STR_LEN, p->str2);
	e->h.len2 = n > 0 ? n : 0;
	bpf_map_delete_elem(&pending, &id);
	submit(e, sizeof(*e));
	return 0;
}

#define SYSCALL(name, OP, nargs, s1, s2)                                      \
	SEC("tracepoint/syscalls/sys_enter_" #name)                           \
	int enter_##name(struct sys_enter_ctx *ctx) { return on_enter(ctx, OP, nargs, s1, s2); } \
	SEC("tracepoint/syscalls/sys_exit_" #name)                            \
	int exit_##name(struct sys_exit_ctx *ctx) { return on_exit_call(ctx); }

SYSCALL(setuid, OP_SETUID, 1, -1, -1)
SYSCALL(setreuid, OP_SETREUID, 2, -1, -1)
SYSCALL(setresuid, OP_SETRESUID, 3, -1, -1)
SYSCALL(setgid, OP_SETGID, 1, -1, -1)
SYSCALL(setregid, OP_SETREGID, 2, -1, -1)
SYSCALL(setresgid, OP_SETRESGID, 3, -1, -1)
SYSCALL(capset, OP_CAPSET, 2, -1, -1)
SYSCALL(setns, OP_SETNS, 2, -1, -1)
SYSCALL(unshare, OP_UNSHARE, 1, -1, -1)
SYSCALL(mount, OP_MOUNT, 5, 0, 1)
SYSCALL(ptrace, OP_PTRACE, 4, -1, -1)
SYSCALL(init_module, OP_INIT_MODULE, 3, 2, -1)
SYSCALL(finit_module, OP_FINIT_MODULE, 3, 1, -1)

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct sys_exit_ctx *ctx) { return on_open_exit(ctx); }
SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct sys_exit_ctx *ctx) { return on_open_exit(ctx); }
SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct sys_exit_ctx *ctx) { return on_open_exit(ctx); }
SEC("tracepoint/syscalls/sys_exit_creat")
int exit_creat(struct sys_exit_ctx *ctx) { return on_open_exit(ctx); }

/* loopback reports whether a peer address (network order, 16 bytes for
 * AF_INET6, 4 for AF_INET) is a loopback one: 127.0.0.0/8, ::1 or
 * ::ffff:127.0.0.0/104. */
static __always_inline int loopback(__u16 fam, const __u8 *a)
{
	if (fam == AF_INET)
		return a[0] == 127;
	for (int i = 0; i < 10; i++)
		if (a[i])
			return 0;
	if (a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127;
	if (a[10] || a[11] || a[12] || a[13] || a[14])
		return 0;
	return a[15] == 1;
}

/* TCP: a SYN sent (attempt), a handshake completed either way. The socket
 * carries the cgroup of the process that made it (a connection accepted
 * by a listener inherits the listener's), so events raised in softirq are
 * still attributed; only the attempt runs in the process's own context.
 * Connections with a loopback peer never leave the network namespace
 * (a pod's containers and sidecars talking over localhost: in a mesh,
 * twice per request) and no consumer judges them (rules, NetworkPolicy
 * intent, flow log, baselines), so they raise no event. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 op, flags = 0;

	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		op = CONN_ATTEMPT;
	else if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED)
		op = CONN_ESTABLISHED;
	else if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		op = CONN_ESTABLISHED;
		flags = F_INBOUND;
	} else
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	__u8 saddr[16] = {}, daddr[16] = {};
	if (fam == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 b = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(saddr, &a, 4);
		__builtin_memcpy(daddr, &b, 4);
	} else {
		BPF_CORE_READ_INTO(&saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	if (loopback(fam, daddr))
		return 0;

	struct event_hdr *h = reserve(sizeof(*h), KIND_CONNECT);
	if (!h)
		return 0;
	if (op == CONN_ATTEMPT) {
		fill_task(h, KIND_CONNECT);
	} else {
		__builtin_memset(h, 0, sizeof(*h));
		h->ts = bpf_ktime_get_boot_ns();
		h->kind = KIND_CONNECT;
	}
	h->cgroup = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	h->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	h->op = op;
	h->flags |= flags;
	h->family = fam;
	h->proto = IPPROTO_TCP;
	h->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	h->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memcpy(h->saddr, saddr, 16);
	__builtin_memcpy(h->daddr, daddr, 16);
	submit(h, sizeof(*h));
	return 0;
}

/* UDP: connect and sendmsg (outbound) and recvmsg (inbound) through the
 * cgroup socket address hooks, attached to the root of the cgroup v2
 * hierarchy. They never change the address and always allow. */
static __always_inline void datagram(struct bpf_sock_addr *ctx, int inbound, int v6)
{
	struct flow_key k = {};
	struct event_hdr *h;

	k.cgroup = bpf_get_current_cgroup_id();
	k.port = bpf_ntohs(ctx->user_port);
	k.inbound = inbound;
	k.family = v6 ? AF_INET6 : AF_INET;
	if (v6) {
		__u32 a[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
		__builtin_memcpy(k.addr, a, 16);
	} else {
		__u32 a = ctx->user_ip4;
		__builtin_memcpy(k.addr, &a, 4);
	}
	struct bpf_sock *sk = ctx->sk;
	if (sk)
		k.lport = sk->src_port;
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 *last = bpf_map_lookup_elem(&flows, &k);
	if (last && now - *last < udp_period_ns)
		return;
	bpf_map_update_elem(&flows, &k, &now, BPF_ANY);

	h = reserve(sizeof(*h), KIND_CONNECT);
	if (!h)
		return;
	fill_task(h, KIND_CONNECT);
	h->op = CONN_DATAGRAM;
	if (inbound)
		h->flags |= F_INBOUND;
	h->family = k.family;
	h->proto = IPPROTO_UDP;
	h->sport = k.lport;
	h->dport = k.port;
	__builtin_memcpy(h->daddr, k.addr, 16);
	submit(h, sizeof(*h));
}

SEC("cgroup/connect4")
int udp_connect4(struct bpf_sock_addr *ctx)
{
	if (ctx->type == SOCK_DGRAM)
		datagram(ctx, 0, 0);
	return 1;
}

SEC("cgroup/connect6")
int udp_connect6(struct bpf_sock_addr *ctx)
{
	if (ctx->type == SOCK_DGRAM)
		datagram(ctx, 0, 1);
	return 1;
}

SEC("cgroup/sendmsg4")
int udp_sendmsg4(struct bpf_sock_addr *ctx)
{
	datagram(ctx, 0, 0);
	return 1;
}

SEC("cgroup/sendmsg6")
int udp_sendmsg6(struct bpf_sock_addr *ctx)
{
	datagram(ctx, 0, 1);
	return 1;
}

SEC("cgroup/recvmsg4")
int udp_recvmsg4(struct bpf_sock_addr *ctx)
{
	datagram(ctx, 1, 0);
	return 1;
}

SEC("cgroup/recvmsg6")
int udp_recvmsg6(struct bpf_sock_addr *ctx)
{
	datagram(ctx, 1, 1);
	return 1;
}

/* Exec allowlist: in a guarded cgroup, a binary (or script interpreter)
 * whose path is not allowed for the cgroup's policy is reported, and
 * denied when the policy enforces. Unguarded cgroups cost one lookup. */
SEC("lsm.s/bprm_check_security")
int BPF_PROG(exec_guard, struct linux_binprm *bprm)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct guard *g = bpf_map_lookup_elem(&guarded, &cg);
	if (!g)
		return 0;
	/* On the stack, not in a per-CPU buffer: a sleepable program can be
	 * preempted by another exec on the same CPU. */
	struct allow_key key = {};
	struct allow_key *k = &key;
	k->policy = g->policy;
	long n = bpf_d_path(&bprm->file->f_path, k->path, sizeof(k->path));
	if (n > 0 && bpf_map_lookup_elem(&allowed, k))
		return 0;
	int enforce = g->enforce;
	struct small_event *e = reserve(sizeof(*e), KIND_EXEC_DENIED);
	if (e) {
		fill_task(&e->h, KIND_EXEC_DENIED);
		if (enforce)
			e->h.flags |= F_ENFORCED;
		e->h.arg[0] = k->policy;
		long m = bpf_probe_read_kernel_str(e->data, sizeof(k->path), k->path);
		e->h.len1 = m > 0 ? m : 0;
		submit(e, sizeof(*e));
	}
	return enforce ? -EPERM : 0;
}
