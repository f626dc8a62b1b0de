"""Server settings every provider applies: a server whose files are deleted after the
run needs no durability."""

from __future__ import annotations

__all__ = ["TEST_SETTINGS"]

TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    # Dynamic shared memory as files in the data folder, not /dev/shm/PostgreSQL.*:
    # a postmaster killed outright leaves nothing outside the folder we remove.
    "dynamic_shared_memory_type": "mmap",
}
