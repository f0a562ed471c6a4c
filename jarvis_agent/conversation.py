"""The shape of a kiosk conversation: what Jarvis says first and last, and when it is over.

The greeting is built from the context, not generated, so it plays as soon as the session starts (no LLM round
trip): the member's first name, a word about their return after a break, the question. A goodbye from the member
("au revoir", "bonne journée", "c'est tout, merci") is recognised on the transcript and answered without the LLM; a
member who walks away (nobody speaks) is asked once whether they are still there, then greeted goodbye. Either way
the session ends by itself.
"""

from __future__ import annotations

import re

from .context import SessionContext
from .stt_guard import normalise

CHECK_IN = "Tu es toujours là ? Si tu as besoin de moi, je t'écoute."
REPEAT = "Pardon, je n'ai pas bien entendu. Tu peux répéter ?"
UNAVAILABLE = "Désolé, je rencontre un souci technique. L'équipe de l'accueil peut t'aider."

_GOODBYE = re.compile(
    r"(?:(?:ok|bon|bah|ben|merci( beaucoup)?|parfait|super|genial|top|d accord|c est (tout|bon)|ca ira)\s*)*"
    r"(au revoir|a plus( tard)?|a \+|a bientot|a demain|a la prochaine|bonne (journee|soiree|seance|fin de journee"
    r"|nuit)|ciao|tchao|bye( bye)?|allez salut|c est tout( pour (moi|aujourd hui))?( merci)?"
    r"|ce sera tout|j y vais|je (m en vais|file|te laisse)|merci c est tout)"
    r"(\s+(merci|jarvis|a toi|a vous|a plus|a bientot|bonne (journee|soiree|seance)|et bonne (journee|soiree|seance)"
    r"|salut|au revoir|ciao))*")


def is_goodbye(text: str) -> bool:
    """A short utterance that only takes leave ("Merci, au revoir !"); a request that ends with a goodbye
    ("réserve-moi le yoga et au revoir") is not one — the request is answered first."""
    if text.rstrip().endswith("?"):  # "C'est tout ?" asks, it does not leave
        return False
    return _GOODBYE.fullmatch(normalise(text)) is not None


def greeting(context: SessionContext) -> str:
    gym = context.gym.name or "la salle"
    member = context.member
    if member is None:
        if context.member_status in ("unknown_badge", "inactive"):
            return (f"Bonjour et bienvenue à {gym} ! Je ne retrouve pas ton badge, mais je peux quand même "
                    "répondre à tes questions sur la salle. Qu'est-ce que je peux faire pour toi ?")
        return f"Bonjour et bienvenue à {gym} ! Je suis Jarvis. Qu'est-ce que je peux faire pour toi ?"
    days = member.visits.get("days_since_last_visit")
    if days is not None and days >= 14:
        middle = "Ça fait plaisir de te revoir !"
    elif member.visits.get("streak_weeks", 0) >= 4:
        middle = f"Déjà {member.visits['streak_weeks']} semaines d'affilée, bravo !"
    else:
        middle = "Content de te voir."
    return f"Salut {member.first_name} ! {middle} Qu'est-ce que je peux faire pour toi ?"


def goodbye(context: SessionContext) -> str:
    if context.member is None:
        return "Au revoir et bonne journée !"
    return f"À bientôt {context.member.first_name}, bonne séance !"
