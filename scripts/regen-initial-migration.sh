#!/usr/bin/env bash
# Regenerate migration 0001 from the models (only while no installation runs the schema yet).
# Migration 0002 (audit triggers) is kept and still follows 0001.
set -euo pipefail
trap '[ -f "$tmp/0002_audit_append_only.py" ] && mv "$tmp/0002_audit_append_only.py" "$versions/"' EXIT
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
versions=webapp/migrations/versions
mv "$versions/0002_audit_append_only.py" "$tmp/"
rm -f "$versions"/0001_*.py
DATABASE_URL="sqlite:///$tmp/empty.sqlite" flask --app webapp db migrate -m "initial schema" --rev-id 0001
mv "$tmp/0002_audit_append_only.py" "$versions/"
rm -rf "$tmp"
