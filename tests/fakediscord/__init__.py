"""A loopback Discord (REST v10 + gateway) that real discord.py clients connect to in tests."""

from .dsl import FakeDiscord, Modal, Reply
from .harness import connected, sync_tree
from .server import Emulator
from .state import Perm

__all__ = ["Emulator", "FakeDiscord", "Modal", "Perm", "Reply", "connected", "sync_tree"]
