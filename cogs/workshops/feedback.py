"""The feedback survey: the DMs (invitation and reminder) with their Answer the survey button, the
form (three ratings and a comment), and the staff's summary with its chart. The rules (who may
answer, once, anonymously) are the feedback service's."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, Any

import discord
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from bot.db.models_workshops import Workshop
from bot.i18n import _
from bot.services.attendance import Figures
from bot.services.delivery import Outcome
from bot.services.feedback import FEEDBACK_COMMENT, QUESTIONS, FeedbackSummary
from bot.ui.dm import send_dm
from bot.ui.limits import INPUT_LABEL, MODAL_TITLE, fit
from bot.ui.replies import send_ephemeral
from bot.ui.text import Translate, member_translator, translator_for
from bot.ui.views import BotModal, PersistentButton
from cogs.workshops.checkin import figures_line

if TYPE_CHECKING:
    from bot.client import CisipBot

# Chinese labels need a CJK font; matplotlib falls back along this list to the first that has a glyph.
CHART_FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Zen Hei"]


def question_labels(t: Translate) -> dict[str, str]:
    return {
        "content": t("Content"),
        "organisation": t("Organisation"),
        "relevance": t("Relevance to your park"),
    }


def invitation_text(t: Translate, workshop: Workshop, *, reminder: bool = False) -> str:
    if reminder:
        return t(
            "A reminder: how was **{title}**? Three ratings and a comment, if you like; "
            "answers are anonymous.",
            title=workshop.title,
        )
    return t(
        "Thank you for attending **{title}**. How was it? Three ratings from 1 to 5 and a comment, if you "
        "like, help us plan next year's. Answers are anonymous: staff see them without names.",
        title=workshop.title,
    )


def feedback_nonce(workshop_id: int, user_id: int, *, reminder: bool) -> str:
    digest = hashlib.sha256(f"{workshop_id}:{user_id}:{reminder}".encode()).hexdigest()
    return f"wf{digest[:23]}"


async def send_invitation(client: CisipBot, workshop: Workshop, user_id: int, *, reminder: bool) -> Outcome:
    t = await member_translator(client, user_id, workshop.guild_id)
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton(workshop.id, t("Answer the survey")))
    return await send_dm(
        client,
        user_id,
        invitation_text(t, workshop, reminder=reminder),
        view=view,
        nonce=feedback_nonce(workshop.id, user_id, reminder=reminder),
    )


class FeedbackModal(BotModal):
    """Three ratings (1 to 5) and an optional comment."""

    def __init__(self, t: Translate, workshop: Workshop) -> None:
        super().__init__(title=fit(t("Feedback: {title}", title=workshop.title), MODAL_TITLE), timeout=1800)
        self.workshop_id = workshop.id
        self.ratings: dict[str, discord.ui.Select[Any]] = {}
        for question, label in question_labels(t).items():
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=question,
                placeholder=t("1 (poor) to 5 (excellent)"),
                options=[discord.SelectOption(label=str(n), value=str(n)) for n in range(5, 0, -1)],
            )
            self.ratings[question] = select
            self.add_item(discord.ui.Label(text=fit(label, INPUT_LABEL), component=select))
        self.comment: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=FEEDBACK_COMMENT.max_length,
        )
        self.add_item(
            discord.ui.Label(text=fit(t("Comment (optional)"), INPUT_LABEL), component=self.comment)
        )

    async def on_submit(self, interaction: discord.Interaction[CisipBot]) -> None:  # type: ignore[override]
        ratings = {q: (s.values[0] if s.values else None) for q, s in self.ratings.items()}
        workshop = await interaction.client.services.feedback.answer(
            self.workshop_id, interaction.user.id, ratings, self.comment.value
        )
        t = await translator_for(interaction)
        await send_ephemeral(
            interaction,
            t(
                "Thank you: your answers about **{title}** are recorded, without your name.",
                title=workshop.title,
            ),
        )


class FeedbackButton(
    PersistentButton[int],
    prefix="workshop:feedback",
    style=discord.ButtonStyle.success,
    label=_("Answer the survey"),
):
    async def pressed(self, interaction: discord.Interaction[CisipBot]) -> None:
        workshop = await interaction.client.services.feedback.can_answer(self.key, interaction.user.id)
        t = await translator_for(interaction)
        await interaction.response.send_modal(FeedbackModal(t, workshop))


def summary_text(t: Translate, summary: FeedbackSummary) -> str:
    lines = [
        t(
            "Feedback on **{title}**: answered {answered:n} of {invited:n} invited ({rate}).",
            title=summary.workshop.title,
            answered=summary.answered,
            invited=summary.invited,
            rate=f"{summary.rate:.0%}",
        )
    ]
    for question, label in question_labels(t).items():
        average = summary.average(question)
        lines.append(
            t("{question}: {average} / 5", question=label, average=f"{average:.1f}")
            if average is not None
            else t("{question}: no answers yet", question=label)
        )
    return "\n".join(lines)


def feedback_chart(t: Translate, summary: FeedbackSummary) -> bytes:
    """How many gave each rating, one panel per question (PNG)."""
    font = FontProperties(family=CHART_FONTS)
    figure = Figure(figsize=(10, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(fit(summary.workshop.title, 80), fontproperties=font)
    for index, (question, label) in enumerate(question_labels(t).items()):
        axes = figure.add_subplot(1, len(QUESTIONS), index + 1)
        counts = summary.distribution(question)
        axes.bar([str(n) for n in range(1, 6)], counts, color="#3f6fb5")
        average = summary.average(question)
        axes.set_title(f"{label} ({average:.1f})" if average is not None else label, fontproperties=font)
        axes.set_ylim(0, max([*counts, 1]) * 1.15)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def add_previous(
    t: Translate, embed: discord.Embed, last: Workshop, figures: Figures, survey: FeedbackSummary
) -> None:
    """On a series edition's card, for staff: the previous edition's attendance and ratings."""
    ratings = [
        t("{question} {average}", question=label, average=f"{average:.1f}")
        for question, label in question_labels(t).items()
        if (average := survey.average(question)) is not None
    ]
    value = (
        figures_line(t, figures)
        + "\n"
        + (
            t(
                "Ratings (answers: {answered:n}): {ratings}",
                answered=survey.answered,
                ratings=" · ".join(ratings),
            )
            if ratings
            else t("No feedback answers yet.")
        )
    )
    embed.add_field(name=t("Last edition (#{id}, staff only)", id=last.id), value=value, inline=False)
