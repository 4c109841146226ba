# Password login with Paramiko: the host key from KNOWN_HOSTS (nothing else trusted), no key
# tried, then `echo pw-in $USER`.
# Usage: python3 paramiko-password.py PORT USER PASSWORD KNOWN_HOSTS
# Prints "in: OUTPUT" (exit 0), "refused" (exit 3) or "no-password: ALLOWED" (exit 4).
import sys

import paramiko

port, user, password, known = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
client = paramiko.SSHClient()
client.load_host_keys(known)
client.set_missing_host_key_policy(paramiko.RejectPolicy())
try:
    client.connect("127.0.0.1", port=port, username=user, password=password,
                   allow_agent=False, look_for_keys=False, timeout=30, banner_timeout=30,
                   auth_timeout=30)
except paramiko.BadAuthenticationType as e:
    print("no-password: " + ",".join(e.allowed_types), flush=True)
    sys.exit(4)
except paramiko.AuthenticationException:
    print("refused", flush=True)
    sys.exit(3)
_, out, _ = client.exec_command("echo pw-in $USER", timeout=30)
print("in: " + out.read().decode().strip(), flush=True)
client.close()
