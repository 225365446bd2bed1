/**
 * The seccomp program, run through a small classic-BPF interpreter (only the instructions a seccomp filter may use
 * that this program needs; anything else fails the test), so every architecture's program is checked on any machine.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH, SECCOMP_DENIED, SECCOMP_DENIED_IOCTLS, SECCOMP_RET, SECCOMP_RULES, X32_SYSCALL_BIT, seccompDescription, seccompProgram, type SeccompArch } from '../../playground/server/seccomp-policy.ts';

interface Data {
  nr: number;
  arch: number;
  args?: bigint[];
}

/** Evaluate a program the way the kernel does for one system call: returns the action. */
function run(program: Buffer, data: Data): number {
  const bytes = Buffer.alloc(64);
  bytes.writeInt32LE(data.nr, 0);
  bytes.writeUInt32LE(data.arch, 4);
  (data.args ?? []).forEach((arg, i) => bytes.writeBigUInt64LE(arg, 16 + 8 * i));
  const count = program.length / 8;
  let acc = 0;
  for (let pc = 0; pc < count; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    const jump = (taken: boolean) => {
      pc += 1 + (taken ? jt : jf);
      if (pc >= count) throw new Error('jump past the end');
    };
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`bad load offset ${k}`);
        acc = bytes.readUInt32LE(k);
        pc += 1;
        break;
      case 0x15: // jeq #k
        jump(acc === k);
        break;
      case 0x45: // jset #k
        jump((acc & k) >>> 0 !== 0);
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`unexpected instruction ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const EPERM = SECCOMP_RET.ERRNO | 1;
const ARCHES: SeccompArch[] = ['x64', 'arm64'];
const IOCTL: Record<SeccompArch, number> = { x64: 16, arm64: 29 };

describe('seccomp policy program', () => {
  it('lists every call the audit named, once, with distinct numbers on each ABI', () => {
    for (const name of ['ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd', 'kcmp', 'perf_event_open', 'bpf', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'mount', 'umount2', 'pivot_root', 'chroot', 'swapon', 'swapoff', 'reboot', 'settimeofday', 'clock_settime', 'adjtimex', 'open_by_handle_at', 'name_to_handle_at', 'io_uring_setup', 'io_uring_enter', 'io_uring_register']) {
      expect(SECCOMP_DENIED).toContain(name);
    }
    expect(new Set(SECCOMP_DENIED).size).toBe(SECCOMP_DENIED.length);
    for (const arch of ARCHES) expect(new Set(SECCOMP_RULES.map((rule) => rule[arch])).size).toBe(SECCOMP_RULES.length);
    // The calls a lab needs stay allowed: pidfd_open (434), kill-style calls, personality.
    expect(SECCOMP_DENIED).not.toContain('pidfd_open');
    expect(SECCOMP_DENIED).not.toContain('personality');
  });

  // Cross-check against this machine's kernel headers where they are installed (linux-libc-dev).
  const headers: Record<SeccompArch, string> = { x64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', arm64: '/usr/include/asm-generic/unistd.h' };
  for (const arch of ARCHES) {
    it.skipIf(!fs.existsSync(headers[arch]))(`matches the numbers in ${headers[arch]}`, () => {
      const text = fs.readFileSync(headers[arch], 'utf8');
      for (const rule of SECCOMP_RULES) {
        const match = new RegExp(`#define __NR_${rule.name}\\s+(\\d+)\\b`).exec(text);
        expect(match?.[1], rule.name).toBe(String(rule[arch]));
      }
    });
  }

  for (const arch of ARCHES) {
    describe(arch, () => {
      const program = seccompProgram(arch)!;
      const native = AUDIT_ARCH[arch];
      const denied = new Set(SECCOMP_RULES.map((rule) => rule[arch]));

      it('is a whole number of 8-byte instructions, within the kernel limit', () => {
        expect(program.length % 8).toBe(0);
        expect(program.length / 8).toBeGreaterThan(SECCOMP_RULES.length);
        expect(program.length / 8).toBeLessThanOrEqual(4096);
      });

      it('returns EPERM for every listed call and allows every other number', () => {
        for (const rule of SECCOMP_RULES) expect(run(program, { nr: rule[arch], arch: native }), rule.name).toBe(EPERM);
        for (let nr = 0; nr < 1024; nr++) {
          if (denied.has(nr)) continue;
          expect(run(program, { nr, arch: native }), `syscall ${nr}`).toBe(SECCOMP_RET.ALLOW);
        }
      });

      it('kills other architectures', () => {
        for (const other of [AUDIT_ARCH[arch === 'x64' ? 'arm64' : 'x64'], 0x40000003 /* i386 */, 0x40000028 /* arm */, 0]) {
          expect(run(program, { nr: 39, arch: other })).toBe(SECCOMP_RET.KILL_PROCESS);
          expect(run(program, { nr: SECCOMP_RULES[0]![arch], arch: other })).toBe(SECCOMP_RET.KILL_PROCESS);
        }
      });

      it('refuses TIOCSTI and TIOCLINUX, whatever the upper bits of the request, and allows other ioctls', () => {
        for (const request of Object.values(SECCOMP_DENIED_IOCTLS)) {
          expect(run(program, { nr: IOCTL[arch], arch: native, args: [0n, BigInt(request)] })).toBe(EPERM);
          expect(run(program, { nr: IOCTL[arch], arch: native, args: [0n, BigInt(request) | 0xffff_ffff_0000_0000n] })).toBe(EPERM);
          // Only the request argument counts: the same value elsewhere is harmless.
          expect(run(program, { nr: IOCTL[arch], arch: native, args: [BigInt(request), 0x5401n] })).toBe(SECCOMP_RET.ALLOW);
        }
        for (const request of [0x5401n /* TCGETS */, 0x541bn /* FIONREAD */, 0x5421n /* FIONBIO */]) {
          expect(run(program, { nr: IOCTL[arch], arch: native, args: [1n, request] })).toBe(SECCOMP_RET.ALLOW);
        }
      });
    });
  }

  it('kills the x32 ABI on x86_64 (numbers with bit 0x40000000), even for calls that are otherwise allowed', () => {
    const program = seccompProgram('x64')!;
    for (const nr of [0, 39, 101, 438, 512, 545]) expect(run(program, { nr: X32_SYSCALL_BIT | nr, arch: AUDIT_ARCH.x64 })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(program, { nr: -1, arch: AUDIT_ARCH.x64 })).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  it('has no policy for other architectures, and says so', () => {
    for (const arch of ['ia32', 'arm', 'riscv64', 'ppc64', 's390x', 'loong64', 'mips']) {
      expect(seccompProgram(arch)).toBeUndefined();
      expect(seccompDescription(arch)).toMatch(new RegExp(`^no seccomp policy for ${arch}`));
    }
    expect(seccompDescription('x64')).toMatch(/^seccomp policy \(x86_64\): \d+ system calls .*EPERM/);
    expect(seccompDescription('arm64')).toMatch(/aarch64/);
  });
});
