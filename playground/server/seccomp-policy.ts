/**
 * A seccomp policy for lab processes, as the classic-BPF program that bubblewrap's `--seccomp FD` installs for the
 * sandboxed command (and so for everything it starts: filters are inherited across fork and exec and cannot be
 * removed).
 *
 * Learner code runs as the same user as the lab's supervisor, so without a filter it could reach into the supervisor
 * (take its stdout with pidfd_getfd, attach with ptrace, read or write its memory with process_vm_readv/writev) and
 * forge events to the host. The filter makes those calls, and the ones that load kernel code, change mounts or the
 * clock, or go around seccomp itself (io_uring), fail with EPERM; everything else is allowed. Programs built for
 * another architecture, and on x86_64 the x32 ABI, are killed, so a syscall number cannot be smuggled past the list
 * under a different ABI.
 *
 * What seccomp cannot do: it sees numbers and registers, not paths, so it cannot stop `open("/proc/<pid>/mem")` or
 * `open("/proc/<pid>/fd/N")` on a same-user process. Those are governed by the kernel's ptrace access check (same
 * user and "dumpable"), not by this filter.
 *
 * Layout of the program (struct sock_filter, 8 bytes each: u16 code, u8 jt, u8 jf, u32 k; little-endian, which both
 * supported ABIs are):
 *
 *   ld  arch ; jeq NATIVE ? next : kill
 *   ld  nr   ; (x86_64) jset 0x40000000 ? kill : next
 *   jeq each denied number ? eperm : next
 *   jeq ioctl ? (ld args[1] low word; jeq TIOCSTI / TIOCLINUX ? eperm) : allow
 *   allow: ret ALLOW ; eperm: ret ERRNO|EPERM ; kill: ret KILL_PROCESS
 */

export type SeccompArch = 'x64' | 'arm64';

/** One refused system call, with its number on each supported ABI and the reason it is refused. */
export interface SeccompRule {
  name: string;
  /** Number on x86_64: arch/x86/entry/syscalls/syscall_64.tbl (64-bit "common"/"64" entries). */
  x64: number;
  /** Number on aarch64: include/uapi/asm-generic/unistd.h (arm64 uses the generic table). */
  arm64: number;
  why: string;
}

const OTHER_PROCESS = 'reaches another process’s memory or file descriptors';

/**
 * Numbers: x86_64 from the kernel's arch/x86/entry/syscalls/syscall_64.tbl, aarch64 from
 * include/uapi/asm-generic/unistd.h (the same values as __NR_* in this machine's linux-libc-dev headers
 * asm/unistd_64.h and asm-generic/unistd.h). Calls added after the tables were unified (424 and up) share a number on
 * every architecture.
 */
export const SECCOMP_RULES: readonly SeccompRule[] = [
  // Reaching into another (same-user) process: the supervisor is one.
  { name: 'ptrace', x64: 101, arm64: 117, why: `${OTHER_PROCESS}: attach, read and write memory and registers` },
  { name: 'process_vm_readv', x64: 310, arm64: 270, why: `${OTHER_PROCESS}: reads its memory` },
  { name: 'process_vm_writev', x64: 311, arm64: 271, why: `${OTHER_PROCESS}: writes its memory` },
  { name: 'pidfd_getfd', x64: 438, arm64: 438, why: `${OTHER_PROCESS}: copies one of its file descriptors (e.g. the supervisor’s stdout)` },
  { name: 'kcmp', x64: 312, arm64: 272, why: 'compares another process’s file descriptors and memory with one’s own (probing)' },
  { name: 'process_madvise', x64: 440, arm64: 440, why: `${OTHER_PROCESS}: acts on its memory through a pidfd` },
  { name: 'get_robust_list', x64: 274, arm64: 100, why: 'reads an address inside another process (defeats its address randomisation)' },
  { name: 'migrate_pages', x64: 256, arm64: 238, why: 'moves another process’s pages between memory nodes' },
  { name: 'move_pages', x64: 279, arm64: 239, why: 'moves or inspects another process’s pages' },
  { name: 'perf_event_open', x64: 298, arm64: 241, why: 'can sample another same-user process (registers, memory); a frequent kernel attack surface' },
  // Kernel attack surface with no use in a lab.
  { name: 'bpf', x64: 321, arm64: 280, why: 'loads programs into the kernel' },
  { name: 'userfaultfd', x64: 323, arm64: 282, why: 'pauses the kernel on a page fault: the usual tool for winning kernel races' },
  { name: 'keyctl', x64: 250, arm64: 219, why: 'kernel keyrings are shared per user, outside the sandbox' },
  { name: 'add_key', x64: 248, arm64: 217, why: 'kernel keyrings are shared per user, outside the sandbox' },
  { name: 'request_key', x64: 249, arm64: 218, why: 'kernel keyrings are shared per user, outside the sandbox' },
  { name: 'kexec_load', x64: 246, arm64: 104, why: 'replaces the running kernel' },
  { name: 'kexec_file_load', x64: 320, arm64: 294, why: 'replaces the running kernel' },
  { name: 'init_module', x64: 175, arm64: 105, why: 'loads kernel code' },
  { name: 'finit_module', x64: 313, arm64: 273, why: 'loads kernel code' },
  { name: 'delete_module', x64: 176, arm64: 106, why: 'unloads kernel code' },
  // io_uring performs operations inside the kernel without passing this filter again.
  { name: 'io_uring_setup', x64: 425, arm64: 425, why: 'io_uring operations bypass seccomp (Node/libuv falls back to threads)' },
  { name: 'io_uring_enter', x64: 426, arm64: 426, why: 'io_uring operations bypass seccomp' },
  { name: 'io_uring_register', x64: 427, arm64: 427, why: 'io_uring operations bypass seccomp' },
  // Mounts and the root: the sandbox's view of the file system is fixed by bubblewrap.
  { name: 'mount', x64: 165, arm64: 40, why: 'changes mounts' },
  { name: 'umount2', x64: 166, arm64: 39, why: 'changes mounts (could uncover what the sandbox hides)' },
  { name: 'pivot_root', x64: 155, arm64: 41, why: 'changes the root' },
  { name: 'chroot', x64: 161, arm64: 51, why: 'changes the root' },
  { name: 'open_tree', x64: 428, arm64: 428, why: 'new mount API' },
  { name: 'move_mount', x64: 429, arm64: 429, why: 'new mount API' },
  { name: 'fsopen', x64: 430, arm64: 430, why: 'new mount API' },
  { name: 'fsconfig', x64: 431, arm64: 431, why: 'new mount API' },
  { name: 'fsmount', x64: 432, arm64: 432, why: 'new mount API' },
  { name: 'fspick', x64: 433, arm64: 433, why: 'new mount API' },
  { name: 'mount_setattr', x64: 442, arm64: 442, why: 'new mount API' },
  { name: 'open_by_handle_at', x64: 304, arm64: 265, why: 'opens files by handle, going around the sandbox’s mounts' },
  { name: 'name_to_handle_at', x64: 303, arm64: 264, why: 'makes handles for open_by_handle_at' },
  // The machine itself.
  { name: 'swapon', x64: 167, arm64: 224, why: 'machine-wide swap' },
  { name: 'swapoff', x64: 168, arm64: 225, why: 'machine-wide swap' },
  { name: 'reboot', x64: 169, arm64: 142, why: 'machine-wide' },
  { name: 'settimeofday', x64: 164, arm64: 170, why: 'changes the clock' },
  { name: 'clock_settime', x64: 227, arm64: 112, why: 'changes the clock' },
  { name: 'adjtimex', x64: 159, arm64: 171, why: 'changes the clock' },
  { name: 'clock_adjtime', x64: 305, arm64: 266, why: 'changes the clock' },
];

/** The names of the refused calls, for documentation. */
export const SECCOMP_DENIED: readonly string[] = SECCOMP_RULES.map((rule) => rule.name);

/**
 * ioctl requests refused (include/uapi/asm-generic/ioctls.h, used by both x86 and arm64): pushing characters into a
 * terminal's input (another process reads them) and the console's paste. bubblewrap's manual recommends refusing
 * TIOCSTI; `--new-session` also stops it, this covers an invocation without that flag.
 */
export const SECCOMP_DENIED_IOCTLS: Readonly<Record<string, number>> = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c };

/** ioctl's number: x86_64 syscall_64.tbl 16, generic unistd.h 29. */
const IOCTL: Record<SeccompArch, number> = { x64: 16, arm64: 29 };

/** include/uapi/linux/audit.h: EM_X86_64 (62) and EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH: Readonly<Record<SeccompArch, number>> = { x64: 0xc000003e, arm64: 0xc00000b7 };

/** x86_64's x32 ABI marks its syscall numbers with this bit (arch/x86/include/uapi/asm/unistd.h, __X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;

/** include/uapi/linux/seccomp.h. */
export const SECCOMP_RET = { KILL_PROCESS: 0x80000000, ERRNO: 0x00050000, ALLOW: 0x7fff0000 } as const;
const EPERM = 1;

/** struct seccomp_data (include/uapi/linux/seccomp.h): int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
const DATA_NR = 0;
const DATA_ARCH = 4;
const dataArgLow = (index: number) => 16 + 8 * index; // the low word of a 64-bit argument, little-endian

/** include/uapi/linux/bpf_common.h. */
const BPF_LD_W_ABS = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JSET_K = 0x05 | 0x40 | 0x00; // BPF_JMP | BPF_JSET | BPF_K
const BPF_RET_K = 0x06 | 0x00; // BPF_RET | BPF_K
/** BPF_MAXINSNS, include/uapi/linux/bpf_common.h. */
const MAX_INSNS = 4096;

function isSeccompArch(arch: string): arch is SeccompArch {
  return arch === 'x64' || arch === 'arm64';
}

type Target = number | string; // a relative jump, or a label
interface Insn {
  code: number;
  jt: Target;
  jf: Target;
  k: number;
}

function assemble(insns: Insn[], labels: Record<string, number>): Buffer {
  if (insns.length > MAX_INSNS) throw new Error(`seccomp program too long (${insns.length} instructions)`);
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, at) => {
    const offset = (target: Target): number => {
      if (typeof target === 'number') return target;
      const to = labels[target];
      if (to === undefined) throw new Error(`seccomp program: no label ${target}`);
      const jump = to - at - 1;
      if (jump < 0 || jump > 255) throw new Error(`seccomp program: jump to ${target} out of range (${jump})`);
      return jump;
    };
    out.writeUInt16LE(insn.code, at * 8);
    out.writeUInt8(offset(insn.jt), at * 8 + 2);
    out.writeUInt8(offset(insn.jf), at * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, at * 8 + 4);
  });
  return out;
}

/**
 * The policy as a cBPF program for `bwrap --seccomp FD`, or undefined where there is no policy for the architecture
 * (the host then runs labs without one and says so).
 */
export function seccompProgram(arch: string = process.arch): Buffer | undefined {
  if (!isSeccompArch(arch)) return undefined;
  const insns: Insn[] = [];
  const labels: Record<string, number> = {};
  const emit = (code: number, k: number, jt: Target = 0, jf: Target = 0) => insns.push({ code, jt, jf, k });
  const label = (name: string) => (labels[name] = insns.length);

  emit(BPF_LD_W_ABS, DATA_ARCH);
  emit(BPF_JEQ_K, AUDIT_ARCH[arch], 0, 'kill');
  emit(BPF_LD_W_ABS, DATA_NR);
  if (arch === 'x64') emit(BPF_JSET_K, X32_SYSCALL_BIT, 'kill', 0);
  for (const rule of SECCOMP_RULES) emit(BPF_JEQ_K, rule[arch], 'eperm', 0);
  emit(BPF_JEQ_K, IOCTL[arch], 0, 'allow');
  // The request is an unsigned int in the kernel, so only the low word counts (high bits cannot hide it).
  emit(BPF_LD_W_ABS, dataArgLow(1));
  for (const request of Object.values(SECCOMP_DENIED_IOCTLS)) emit(BPF_JEQ_K, request, 'eperm', 0);
  label('allow');
  emit(BPF_RET_K, SECCOMP_RET.ALLOW);
  label('eperm');
  emit(BPF_RET_K, SECCOMP_RET.ERRNO | EPERM);
  label('kill');
  emit(BPF_RET_K, SECCOMP_RET.KILL_PROCESS);
  return assemble(insns, labels);
}

/** A sentence for the host's start-up line. */
export function seccompDescription(arch: string = process.arch): string {
  if (!isSeccompArch(arch)) return `no seccomp policy for ${arch}: lab processes can use every system call (ptrace, pidfd_getfd and the like are limited only by the kernel's same-user rules)`;
  const name = arch === 'x64' ? 'x86_64' : 'aarch64';
  return `seccomp policy (${name}): ${SECCOMP_DENIED.length} system calls that reach into other processes (ptrace, pidfd_getfd, process_vm_readv/writev…), load kernel code, change mounts or the clock, or bypass seccomp (io_uring) fail with EPERM; a call through another ABI (${arch === 'x64' ? '32-bit or x32' : '32-bit'}) kills the process`;
}
