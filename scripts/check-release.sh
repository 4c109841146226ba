#!/usr/bin/env bash
# Checks the release path end to end with a throwaway signing key: builds the staging bundle
# (scripts/release-bundle.sh) signed with a key made for this run, and verifies a signature.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gpg >/dev/null || { echo "check-release: needs gpg (apt-get install gnupg)" >&2; exit 1; }
GNUPGHOME=$(mktemp -d /tmp/sshc-gpg-XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key \
  "ssh-container release check <release-check@example.invalid>" ed25519 sign 1d
key=$(gpg --list-keys --with-colons | awk -F: '/^fpr:/ {print $10; exit}')
GPG_KEYNAME="$key" scripts/release-bundle.sh
sig=$(find target/staging -name '*-sources.jar.asc' | head -n 1)
gpg --batch --quiet --verify "$sig" "${sig%.asc}"
echo "check-release: bundle built and signed; $(basename "$sig") verifies"
