"""The Discord side shared by every cog: how a reply is worded and rendered, who may run a staff
command, how a DM is sent, and what a failure looks like to the person who caused it.

It adapts Discord's objects to the services (a ``discord.Member`` becomes a ``Person``) and the
services' answers to Discord (a ``DomainError`` becomes a private reply); it holds no rule of its
own and never imports the bot class: it reaches the services through ``services_of(client)``.
"""
