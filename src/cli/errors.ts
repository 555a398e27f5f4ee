/**
 * Turning what oclif and Node throw into one line a person can act on: no raw errno text
 * ("EROFS: read-only file system, open '/x'"), no oclif internals ("Missing 1 required arg:").
 */
const ERRNO: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded',
}

const SYSCALL: Record<string, string> = {
  open: 'open',
  mkdir: 'create directory',
  rename: 'replace',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  write: 'write to',
  scandir: 'list',
  stat: 'read',
  lstat: 'read',
  access: 'use',
  copyfile: 'copy',
}

export interface SystemErrorLike {
  code?: string
  syscall?: string
  path?: string
  message: string
}

/** "cannot create directory /ro/.dtk: the file system is read-only", or undefined if not a file-system error. */
export function describeSystemError(err: SystemErrorLike): string | undefined {
  if (!err.code || !/^E[A-Z]+$/.test(err.code) || !err.path) return undefined
  const what = ERRNO[err.code] ?? err.code.toLowerCase()
  return `cannot ${SYSCALL[err.syscall ?? ''] ?? err.syscall ?? 'use'} ${err.path}: ${what}`
}

/** oclif's RequiredArgsError: "Missing 1 required arg:\nnode  node id" → "missing argument NODE (node id)". */
export function describeMissingArgs(err: {message: string; args?: Array<{name: string; description?: string}>}): string | undefined {
  if (!/^Missing \d+ required args?/.test(err.message) || !Array.isArray(err.args) || err.args.length === 0) return undefined
  const list = err.args.map((a) => `${a.name.toUpperCase()}${a.description ? ` (${a.description})` : ''}`)
  return `missing argument${list.length > 1 ? 's' : ''} ${list.join(', ')}`
}
