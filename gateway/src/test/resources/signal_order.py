"""Sends TERM to a gateway session the moment its first output byte arrives, N times.

Usage: signal_order.py PORT USER KEY KNOWN_HOSTS TRIES
Each try runs a command that installs a TERM trap, prints 'ready' and waits; on the first
output byte the client sends the signal request (asyncssh's send_signal). A try passes when the
trap ran: the output holds 'got TERM' and the exit status is 3. Prints one line per failed try
and, last, 'passed P of N'.
"""
import asyncio
import sys
import warnings

warnings.filterwarnings("ignore")
import asyncssh  # noqa: E402

COMMAND = ("trap 'echo got TERM; exit 3' TERM; echo ready; "
           "while :; do sleep 1 & wait $!; done")


class QueueSession(asyncssh.SSHClientSession):
    def __init__(self):
        self.queue = asyncio.Queue()

    def data_received(self, data, datatype):
        self.queue.put_nowait(data if isinstance(data, bytes) else data.encode())

    def eof_received(self):
        self.queue.put_nowait(None)

    def connection_lost(self, exc):
        self.queue.put_nowait(None)


async def main():
    port, user, key, known, tries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    passed = 0
    async with asyncssh.connect("127.0.0.1", port=int(port), username=user,
                                client_keys=[key], known_hosts=known) as conn:
        for i in range(tries):
            chan, session = await conn.create_session(QueueSession, COMMAND, encoding=None)
            if await run(chan, session, i):
                passed += 1
    print(f"passed {passed} of {tries}", flush=True)


async def run(chan, session, i):
    buf = b""
    first = await asyncio.wait_for(session.queue.get(), 60)
    if first is not None:
        buf += first
        chan.send_signal("TERM")
        while True:
            data = await asyncio.wait_for(session.queue.get(), 60)
            if data is None:
                break
            buf += data
    await asyncio.wait_for(chan.wait_closed(), 60)
    status = chan.get_exit_status()
    text = buf.decode(errors="replace")
    if "got TERM" in text and status == 3:
        return True
    print(f"try {i}: exit {status} signal {chan.get_exit_signal()} output {text!r}", flush=True)
    return False


asyncio.run(main())
