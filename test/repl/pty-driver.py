# Drives a command in a pseudo-terminal for the REPL's end-to-end test: sends each
# step's keys, waits until the output (ANSI codes stripped) matches the step's
# pattern, and prints a JSON report with the whole transcript. Python's pty module
# is used because Node has no pseudo-terminal of its own.
import json, os, pty, re, select, struct, sys, time, fcntl, termios

ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]')

def main():
    spec = json.load(sys.stdin)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(spec['cwd'])
        os.execvpe(spec['argv'][0], spec['argv'], {**os.environ, **spec['env']})
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 100, 0, 0))
    raw = b''
    report = {'steps': [], 'ok': True}

    def read(timeout):
        nonlocal raw
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        raw += chunk
        return True

    def text():
        return ANSI.sub('', raw.decode('utf8', 'replace')).replace('\r', '')

    for step in spec['steps']:
        if 'send' in step:
            os.write(fd, step['send'].encode())
        start = len(text()) if step.get('fresh') else 0
        deadline = time.time() + step.get('timeout', 20)
        pattern = re.compile(step['expect']) if 'expect' in step else None
        alive = True
        while pattern and not pattern.search(text()[start:]):
            if time.time() > deadline or not alive:
                report['ok'] = False
                report['failed'] = step
                break
            alive = read(0.05)
        report['steps'].append({'step': step, 'at': round(time.time(), 2)})
        if not report['ok']:
            break
        time.sleep(step.get('pause', 0.15))
    # Drain until the child exits (it should, after :quit).
    deadline = time.time() + spec.get('exitTimeout', 10)
    while time.time() < deadline and read(0.05):
        pass
    status = None
    # The terminal can close a moment before the process is gone.
    deadline = time.time() + 5
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done != 0:
            status = os.waitstatus_to_exitcode(st)
            break
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            report['killed'] = True
            break
        time.sleep(0.05)
    report['exitCode'] = status
    report['transcript'] = text()
    report['raw'] = raw.decode('utf8', 'replace')
    print(json.dumps(report))

main()
