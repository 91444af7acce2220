"""A plain discord.py bot (not the project's) used to exercise the emulator end to end."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands


class RegisterModal(discord.ui.Modal, title="Register"):
    email: discord.ui.TextInput[RegisterModal] = discord.ui.TextInput(label="E-mail", custom_id="email")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"registered {self.email.value}", ephemeral=True)


class RegisterView(discord.ui.View):
    @discord.ui.button(label="Register", custom_id="register")
    async def register(
        self, interaction: discord.Interaction, button: discord.ui.Button[RegisterView]
    ) -> None:
        await interaction.response.send_modal(RegisterModal())

    @discord.ui.button(label="Count", custom_id="count")
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button[RegisterView]) -> None:
        await interaction.response.edit_message(content="counted", view=self)

    @discord.ui.select(custom_id="colour", options=[discord.SelectOption(label=c) for c in ("red", "blue")])
    async def colour(self, interaction: discord.Interaction, select: discord.ui.Select[RegisterView]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


PARKS = ["Zhongguancun", "Zhangjiang", "Sophia Antipolis", "Tsukuba"]


def make_bot(intents: discord.Intents | None = None) -> commands.Bot:
    intents = intents or discord.Intents.default()
    bot = commands.Bot(command_prefix="!", intents=intents)
    tree = bot.tree

    @tree.command(description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @tree.command(description="Think, then answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")

    @tree.command(description="Open the register panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Register here", view=RegisterView())

    @tree.command(description="Send a file")
    async def export(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(
            file=discord.File(__import__("io").BytesIO(b"a,b\n1,2\n"), name)
        )

    @tree.command(description="Echo every option type")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        member: discord.Member,
        channel: discord.TextChannel,
        role: discord.Role,
        who: discord.Member | discord.Role,
        upload: discord.Attachment,
    ) -> None:
        data = await upload.read()
        await interaction.response.send_message(
            f"{text}|{count}|{ratio}|{flag}|{member.name}|{channel.name}|{role.name}|{who.name}|"
            f"{upload.filename}:{data.decode()}"
        )

    setup = app_commands.Group(name="setup", description="Configure the bot")

    @setup.command(name="channel", description="Set a channel")
    @app_commands.choices(
        kind=[
            app_commands.Choice(name="welcome", value="welcome"),
            app_commands.Choice(name="log", value="log"),
        ]
    )
    async def setup_channel(
        interaction: discord.Interaction, kind: app_commands.Choice[str], channel: discord.TextChannel
    ) -> None:
        await interaction.response.send_message(f"{kind.value} -> {channel.mention}", ephemeral=True)

    tree.add_command(setup)

    park = app_commands.Group(name="park", description="Parks")

    @park.command(name="info", description="About a park")
    async def park_info(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(name)

    @park_info.autocomplete("name")
    async def park_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=p, value=p) for p in PARKS if p.lower().startswith(current.lower())]

    tree.add_command(park)

    @tree.command(description="Give a role")
    async def grant(interaction: discord.Interaction, member: discord.Member, role: discord.Role) -> None:
        try:
            await member.add_roles(role)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
        else:
            await interaction.response.send_message("granted", ephemeral=True)

    return bot
