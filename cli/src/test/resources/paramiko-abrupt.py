# A Paramiko client that logs in, starts `echo started; sleep 5` (exec) or an sftp session, and
# then closes its transport: no EOF, no channel close, no disconnect message first.
# Usage: python3 paramiko-abrupt.py PORT USER KEY exec|sftp
import sys

import paramiko

port, user, key, what = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
client = paramiko.SSHClient()
# the test's own gateway on loopback, its host key made a moment ago
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", port=port, username=user, key_filename=key, allow_agent=False,
               look_for_keys=False, timeout=30, banner_timeout=30, auth_timeout=30)
transport = client.get_transport()
if what == "exec":
    channel = transport.open_session(timeout=30)
    channel.settimeout(30)
    channel.exec_command("echo started; sleep 5")
    got = b""
    while b"started" not in got:
        chunk = channel.recv(1024)
        if not chunk:
            sys.exit("the session ended before it started: " + repr(got))
        got += chunk
else:
    sftp = client.open_sftp()
    sftp.listdir(".")
print("started", flush=True)
transport.close()
print("closed", flush=True)
