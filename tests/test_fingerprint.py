"""Fingerprints: the code hash covers every source file and nothing else."""

from __future__ import annotations

from salesops import fingerprint


def test_the_code_hash_covers_every_source_file(monkeypatch, tmp_path):
    package = tmp_path / "salesops"
    package.mkdir()
    (package / "metrics.py").write_text("RATE = 1\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "metrics.pyc").write_bytes(b"noise")
    monkeypatch.setattr(fingerprint, "__file__", str(package / "fingerprint.py"))
    fingerprint.code_hash.cache_clear()
    try:
        first = fingerprint.code_hash()
        (package / "__pycache__" / "metrics.pyc").write_bytes(b"other noise")
        fingerprint.code_hash.cache_clear()
        assert fingerprint.code_hash() == first  # bytecode does not count
        (package / "metrics.py").write_text("RATE = 2\n")
        fingerprint.code_hash.cache_clear()
        assert fingerprint.code_hash() != first
    finally:
        fingerprint.code_hash.cache_clear()
