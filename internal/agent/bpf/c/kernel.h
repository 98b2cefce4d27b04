/* The kernel types the programs read, reduced to the fields they use.
 *
 * Every type is marked preserve_access_index: the compiler records each
 * field access by name (CO-RE), and the loader (github.com/cilium/ebpf)
 * rewrites the offsets against the running kernel's BTF
 * (/sys/kernel/btf/vmlinux). Field order and omitted fields therefore do
 * not matter; names and types do. Anonymous unions of the kernel are found
 * by the loader through their members' names.
 *
 * Written by hand instead of a full vmlinux.h (bpftool btf dump) so that
 * regenerating the objects needs only clang and libbpf's headers.
 */
#ifndef KUBEWARD_KERNEL_H
#define KUBEWARD_KERNEL_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct { __u32 val; } kuid_t;
typedef struct { __u64 val; } kernel_cap_t;

struct ns_common { unsigned int inum; };
struct mnt_namespace { struct ns_common ns; };
struct net { struct ns_common ns; };
struct nsproxy {
	struct mnt_namespace *mnt_ns;
	struct net *net_ns;
};

struct cred {
	kuid_t uid;
	kuid_t euid;
	kernel_cap_t cap_effective;
};

struct qstr { __u32 len; const unsigned char *name; };
struct dentry {
	struct qstr d_name;
	struct dentry *d_parent;
};
struct vfsmount { struct dentry *mnt_root; };
struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};
/* The vfsmount is embedded in its struct mount (fs/mount.h), which knows
 * where it is mounted: what a path walk needs to cross mounts. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};
struct fs_struct { struct path root; };
struct inode { unsigned short i_mode; };
struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_mode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};
struct files_struct { struct fdtable *fdt; };

struct tty_struct;
struct signal_struct { struct tty_struct *tty; };

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	struct task_struct *real_parent;
	const struct cred *cred;
	struct mm_struct *mm;
	struct signal_struct *signal;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	struct fs_struct *fs;
	struct css_set *cgroups;
	char comm[16];
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

struct kernfs_node { __u64 id; };
struct cgroup;
struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys_state *parent;
};
struct cgroup {
	struct cgroup_subsys_state self;
	struct kernfs_node *kn;
};
/* The process's cgroups; dfl_cgrp is its cgroup v2. */
struct css_set { struct cgroup *dfl_cgrp; };
struct sock_cgroup_data { struct cgroup *cgroup; };

struct in6_addr { union { __u8 u6_addr8[16]; } in6_u; };
typedef struct { struct net *net; } possible_net_t;
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};
struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	struct sock_cgroup_data sk_cgrp_data;
};
struct socket { struct sock *sk; };

#pragma clang attribute pop

#endif
