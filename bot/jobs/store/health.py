"""The database's health for the doctor: writable, WAL, quick_check and size."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import aiosqlite


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """What the doctor reports about the SQLite file."""

    exists: bool
    writable: bool
    journal_mode: str
    quick_check: str
    size_bytes: int
    error: str | None = None


async def database_health(path: Path) -> DatabaseHealth:
    """Inspect the database without changing it (a write lock is taken and released)."""
    size = await asyncio.to_thread(_size, path)
    if size is None:
        folder = _existing_parent(path)
        writable = folder is not None and os.access(folder, os.W_OK)
        return DatabaseHealth(False, writable, "", "", 0)
    try:
        async with aiosqlite.connect(f"file:{path}?mode=rw", uri=True, timeout=5) as db:
            mode = await _scalar(db, "PRAGMA journal_mode")
            check = await _scalar(db, "PRAGMA quick_check")
            writable = await _try_write_lock(db)
    except sqlite3.Error as error:
        return DatabaseHealth(True, False, "", "", size, str(error))
    return DatabaseHealth(True, writable, mode, check, size)


async def _scalar(db: aiosqlite.Connection, sql: str) -> str:
    async with db.execute(sql) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else ""


async def _try_write_lock(db: aiosqlite.Connection) -> bool:
    # BEGIN IMMEDIATE takes the write lock a real write needs, without writing anything.
    try:
        await db.execute("BEGIN IMMEDIATE")
        await db.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return False
    return True


def _existing_parent(path: Path) -> Path | None:
    for folder in path.absolute().parents:
        if folder.exists():
            return folder
    return None


def _size(path: Path) -> int | None:
    """The file's size with its WAL, or None when there is no file."""
    if not path.exists():
        return None
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
