"""Shared pytest configuration: the Discord emulator's fixtures and the bot's."""

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
