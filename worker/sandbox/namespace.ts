// The OS half of the sandbox (Linux): the child runs in new user, network and mount namespaces
// (`unshare -rmn`, no privilege needed where unprivileged user namespaces are allowed). A short shell
// script, run inside them before node, builds a minimal root: an empty tmpfs holding read-only bind
// mounts of the system libraries, node, the app and its data, and a read-write bind of the scratch
// folder; pivot_root into it, detach the old root, make the root read-only, and exec node with an
// empty environment and every capability dropped (setpriv), so even code that escaped node's
// permission model could not mount, unmount or chroot its way back out. The network namespace has only
// a loopback that is down: no TCP, UDP or abstract Unix socket reaches the host, and the mount
// namespace hides every path-bound Unix socket (Docker's, Redis's, a database's) that is not inside the
// paths above.

/** What the namespace's root is built from. All paths absolute and real. */
export interface NamespacePlan {
  /** An empty folder on the host: the tmpfs is mounted on it inside the namespace only. */
  mountPoint: string;
  /** Bound read-only: the system, node, the app, the data. */
  readOnly: readonly string[];
  /** Bound read-write: device files (/dev/null...) and the scratch folder. */
  readWrite: readonly string[];
  /** The child's working folder, inside the new root. */
  cwd: string;
}

/** The first line of stderr when the script itself fails (before node runs). */
export const SETUP_FAILED = 'accord-sandbox-setup: failed';

// Arguments: MOUNT_POINT CWD N_RO RO... N_RW RW... COMMAND...
// Binds are plain (not recursive) where the kernel allows, so mounts under a bound folder stay hidden.
// umount needs /proc/self/mountinfo: the host's /proc is bound for that one step and detached again.
const SCRIPT = `set -eu
trap 'echo "${SETUP_FAILED}" >&2' EXIT
PATH=/usr/sbin:/usr/bin:/sbin:/bin
R=$1; CWD=$2; shift 2
mount -t tmpfs -o mode=0755,size=1m accord-sandbox "$R"
place() { if [ -d "$1" ]; then mkdir -p "$R$1"; elif [ ! -e "$R$1" ]; then mkdir -p "$R$(dirname "$1")"; : > "$R$1"; fi; }
bind() { place "$1"; mount --bind "$1" "$R$1" 2>/dev/null || mount --rbind "$1" "$R$1"; }
n=$1; shift
while [ "$n" -gt 0 ]; do bind "$1"; mount -o remount,bind,ro "$R$1"; shift; n=$((n - 1)); done
n=$1; shift
while [ "$n" -gt 0 ]; do bind "$1"; shift; n=$((n - 1)); done
mkdir "$R/.old" "$R/proc"
cd "$R"
pivot_root . .old
mount --rbind /.old/proc /proc
umount -l /.old
umount -l /proc
rmdir /.old /proc
mount -o remount,bind,ro /
cd "$CWD"
SETPRIV=$(command -v setpriv)
trap - EXIT
exec env -i "$SETPRIV" --no-new-privs --inh-caps=-all --bounding-set=-all \\
  --securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked -- "$@"
`;

/**
 * The argv (program first) that runs `command` inside the namespaces over `plan`'s root. Pure: the
 * caller provides the unshare and sh it found.
 */
export function namespaceArgv(
  tools: { unshare: string; sh: string },
  plan: NamespacePlan,
  command: readonly string[],
): string[] {
  return [
    tools.unshare,
    '--user',
    '--map-root-user',
    '--net',
    '--mount',
    '--propagation',
    'private',
    tools.sh,
    '-c',
    SCRIPT,
    'accord-sandbox',
    plan.mountPoint,
    plan.cwd,
    String(plan.readOnly.length),
    ...plan.readOnly,
    String(plan.readWrite.length),
    ...plan.readWrite,
    ...command,
  ];
}
