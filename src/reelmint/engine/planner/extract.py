"""Reading one shot's text: who is in it, what they do, where, when and how it is filmed.

The reading is shallow on purpose (no parser, no model): phrases are looked up in the
lexicon, then a few rules of English word order attach them to each other —
- adjectives and numbers stand before their noun, within its noun phrase ("two red cars"),
  or after it behind a copula ("a car that is red");
- a verb belongs to the nouns before it in its clause ("a cat and a dog run"), and some
  verbs pass their motion to the noun right after them ("a boy walks a dog");
- "no", "not" and "without" switch off the phrase right after them ("no rain");
- a pronoun stands for the latest fitting subject, in this shot or the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reelmint.engine.planner import words as w
from reelmint.engine.planner.lexicon import CAMERA_CONTEXT, GENERAL, Entry, Lexeme
from reelmint.engine.planner.text import Token, tokenize
from reelmint.engine.storyboard import MAX_COUNT_PER_SUBJECT, Subject
from reelmint.engine.vocabulary import SUBJECT_CATEGORIES

_DETERMINERS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "his", "her", "its", "their", "my",
     "our", "your", "each", "every", "any", "another", "one's"}
)  # fmt: skip
_DEFINITE = frozenset({"the", "this", "that", "these", "those", "his", "her", "its", "their"})
_NEGATION_REACH = 2  # words allowed between "no"/"not" and what it negates ("not at night")
_NEGATION_CHAIN = frozenset({"or", "nor", ",", "and"})
_CAMERA_REACH = 4  # words after "camera" that may still be what the camera does
_SPEECH_REACH = 8  # words between a quote and its "says"
_SENTENCE_ENDS = frozenset({".", "!", "?", "…"})
_CLAUSE_PUNCTUATION = frozenset({".", "!", "?", "…", ";", ":", "(", ")"})
_POSTPOSED_RELATIVES = frozenset({"that", "which", "who"})
_POSTPOSED_COPULAS = frozenset(
    {"is", "are", "was", "were", "looks", "look", "seems", "seem", "appears", "appear"}
)
_POSTPOSED_LEADS = frozenset({"painted", "coloured", "colored", "dressed", "clad", "in", "all"})
_INTENSIFIERS = frozenset(
    {"all", "completely", "entirely", "bright", "dark", "light", "pale", "deep", "very",
     "vivid", "vibrant", "glossy", "shiny", "matte"}
)  # fmt: skip
_NOUNS_BEFORE_VERBS = frozenset({"time", "weather", "setting", "null"})
_AUXILIARIES = frozenset(
    {"has", "have", "had", "is", "are", "was", "were", "will", "starts", "start", "begins",
     "begin", "to", "slowly", "gently", "quickly", "softly", "already", "finally"}
)  # fmt: skip
# Whom "he", "she" and "it" may stand for, best first.
_PEOPLE = frozenset(k for k, c in SUBJECT_CATEGORIES.items() if c == "person")
_MALE_KINDS = _PEOPLE - {"woman"}
_FEMALE_KINDS = _PEOPLE - {"man"}
_CREATURES = frozenset(k for k, c in SUBJECT_CATEGORIES.items() if c in ("animal", "creature"))
_THINGS = frozenset(SUBJECT_CATEGORIES) - _PEOPLE


@dataclass
class Mention:
    """One subject as the text names it; becomes a `Subject` once its motion is settled."""

    kind: str
    start: int  # first token of the noun (or the pronoun, for a subject carried over)
    np_start: int  # first token of its noun phrase
    end: int  # token after the noun
    colour: str | None = None
    size: str | None = None
    count: int = 1
    count_given: bool = False  # said with a number, not just a plural
    fresh: bool = False  # "another dog": a second dog, not the one already named
    definite: bool = False  # "the dog": one the viewer has already met
    motion: str | None = None  # from a verb it does
    carried_motion: str | None = None  # from a verb done to it or with it
    direction: str | None = None
    carried: bool = False  # the subject of an earlier shot
    spacecraft: bool = False  # "spaceship": a UFO if an alien is in the shot

    @classmethod
    def from_subject(cls, subject: Subject) -> Mention:
        return cls(
            kind=subject.kind,
            start=-1,
            np_start=-1,
            end=-1,
            colour=subject.colour,
            size=None if subject.size == "medium" else subject.size,
            count=subject.count,
            carried_motion=subject.motion,
            direction=subject.direction,
            carried=True,
        )

    def do(self, motion: str) -> None:
        """Take a motion the text gives it; a real movement is not undone by "stands"."""
        if motion == "idle" and self.motion not in (None, "idle"):
            return
        self.motion = motion

    def undergo(self, motion: str) -> None:
        """Take a motion from a verb done to it ("walks a dog") unless it already has one."""
        if self.carried_motion is None or self.carried:
            self.carried_motion = motion


@dataclass
class Facts:
    """Everything one shot's text says, before continuity fills the gaps."""

    mentions: list[Mention] = field(default_factory=list)  # named in this text, merged
    carried: list[Mention] = field(default_factory=list)  # the earlier shot's subjects
    refers_back: bool = False  # a pronoun or a bare verb stands for earlier subjects
    setting: str | None = None
    time_of_day: str | None = None
    weather: str | None = None
    camera: str | None = None
    style: str | None = None
    dialogue: list[tuple[int, str | None]] = field(default_factory=list)  # (quote, speaker)
    has_action: bool = False  # a motion verb: something moves

    @property
    def kinds(self) -> set[str]:
        return {mention.kind for mention in self.mentions}


def extract(text: str, previous: Sequence[Subject] = ()) -> Facts:
    """Read one shot's text; `previous` are the subjects a pronoun may stand for."""
    tokens = tokenize(text)
    lexemes = _drop_negated(_scan(tokens), tokens)
    reader = _Reader(tokens, lexemes, [Mention.from_subject(s) for s in previous])
    return reader.read()


# --- 1. phrases ----------------------------------------------------------------------------


def _scan(tokens: Sequence[Token]) -> list[Lexeme]:
    """Every phrase the lexicon knows, left to right, longest first."""
    words = [token.text for token in tokens]
    lexemes: list[Lexeme] = []
    camera_until = -1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind != "word":
            if token.kind == "punct":
                camera_until = -1
            elif token.kind == "number" and token.text.isdigit():
                count = min(int(token.text[:6]), 1000)
                lexemes.append(Lexeme(Entry("count", number=count), i, i + 1))
            i += 1
            continue
        found = _longest(
            CAMERA_CONTEXT.match(words, i) if i <= camera_until else None,
            GENERAL.match(words, i) or _bare_direction(words, i, lexemes),
        )
        if found is None:
            i += 1
            continue
        lexemes.append(found)
        if found.entry.role == "camera_noun":
            camera_until = found.end + _CAMERA_REACH - 1
        i = found.end
    return lexemes


def _longest(camera: Lexeme | None, general: Lexeme | None) -> Lexeme | None:
    """The longer of two matches; the camera reading wins a tie, being the narrower."""
    if camera is None or (general is not None and general.end > camera.end):
        return general
    return camera


def _bare_direction(words: Sequence[str], i: int, lexemes: Sequence[Lexeme]) -> Lexeme | None:
    """ "left" or "right" straight after a motion verb: "the car turns left"."""
    direction = w.BARE_DIRECTIONS.get(words[i])
    if direction is None or not lexemes:
        return None
    last = lexemes[-1]
    if last.end == i and last.entry.role in ("motion", "direction"):
        return Lexeme(Entry("direction", direction), i, i + 1)
    return None


def _drop_negated(lexemes: Sequence[Lexeme], tokens: Sequence[Token]) -> list[Lexeme]:
    """Remove negations and what they negate: "no rain or snow" names no weather."""
    kept: list[Lexeme] = []
    reach_until = -1
    chained: Lexeme | None = None
    for lexeme in lexemes:
        role = lexeme.entry.role
        if role == "negation":
            reach_until = lexeme.end + _NEGATION_REACH
            chained = None
            continue
        if role in ("null", "pronoun", "camera_noun", "speech"):
            kept.append(lexeme)
            continue
        if lexeme.start <= reach_until or _chains(chained, lexeme, tokens):
            reach_until = -1
            chained = lexeme
            continue
        chained = None
        kept.append(lexeme)
    return kept


def _chains(negated: Lexeme | None, lexeme: Lexeme, tokens: Sequence[Token]) -> bool:
    """Whether `lexeme` is listed with a negated phrase of its kind: "no rain or snow"."""
    if negated is None or negated.entry.role != lexeme.entry.role:
        return False
    between = tokens[negated.end : lexeme.start]
    return 0 < len(between) <= 2 and all(
        token.text in _NEGATION_CHAIN or token.text in _DETERMINERS for token in between
    )


# --- 2. who is where, doing what ----------------------------------------------------------


class _Reader:
    """One pass over a shot's tokens, attaching adjectives to nouns and verbs to subjects."""

    def __init__(
        self, tokens: Sequence[Token], lexemes: list[Lexeme], carried: list[Mention]
    ) -> None:
        self.tokens = tokens
        self.lexemes = lexemes
        self.carried = carried
        self.at: dict[int, Lexeme] = {}
        for lexeme in lexemes:
            for i in range(lexeme.start, lexeme.end):
                self.at[i] = lexeme
        self.used: set[int] = set()  # ids of lexemes consumed as adjectives of a noun
        self.facts = Facts(carried=carried)
        self.actors: list[tuple[int, list[Mention]]] = []  # who is where, for speakers
        # clause state
        self.group: list[Mention] = []  # the subjects the next verb belongs to
        self.group_is_pronoun = False  # the group is a pronoun (maybe of no one known)
        self.clause_mentions: list[Mention] = []
        self.group_has_verb = False
        self.joined = False
        self.joined_with = False
        self.pending: list[str] = []  # verbs whose subject is still to come
        self.pending_direction: str | None = None
        self.unattached: list[str] = []  # verbs that found no subject in their clause
        self.last_motion: str | None = None

    def read(self) -> Facts:
        mentions = self._mentions()
        self._read_clauses(mentions)
        self._new_clause()
        if self.unattached and not mentions and self.carried:
            # "..., then jumps": the verb is the last subject's; those who moved like it
            # (a couple walking) move with it, the ball it chased does not.
            lead = self.carried[0]
            doers = [m for m in self.carried if m.carried_motion == lead.carried_motion]
            for motion in self.unattached:
                for mention in doers:
                    mention.do(motion)
            self.facts.refers_back = True
            self.facts.has_action = True
        self._scene()
        self._dialogue()
        self.facts.mentions = _merge(mentions)
        return self.facts

    # 2a. nouns and their adjectives

    def _mentions(self) -> list[Mention]:
        subjects = [lx for lx in self.lexemes if lx.entry.role == "subject"]
        has_setting = any(lx.entry.role == "setting" for lx in self.lexemes)
        mentions: list[Mention] = []
        for lexeme in subjects:
            if id(lexeme) in self.used or self._is_place_modifier(lexeme):
                continue
            mention = self._noun_phrase(lexeme)
            if mention.count <= 0:
                continue
            if not has_setting and self._names_place(lexeme, mention):
                has_setting = True
                continue
            mentions.append(mention)
        if any(m.kind == "alien" for m in mentions):
            for mention in mentions:
                if mention.spacecraft:
                    mention.kind = w.ALIEN_SPACECRAFT_KIND
        return mentions

    def _noun_phrase(self, noun: Lexeme) -> Mention:
        """Gather the noun's article, number, size, colour and participle, reading back."""
        entry = noun.entry
        mention = Mention(
            kind=entry.value,
            start=noun.start,
            np_start=noun.start,
            end=noun.end,
            spacecraft=entry.spacecraft,
        )
        count = entry.number or (2 if entry.plural else 1)
        explicit_count: int | None = None
        i = noun.start - 1
        unknown = 0
        while i >= 0:
            token = self.tokens[i]
            if token.kind in ("punct", "quote"):
                break
            lexeme = self.at.get(i)
            if lexeme is None and token.text in _DETERMINERS:
                mention.np_start = i
                mention.fresh = mention.fresh or token.text == "another"
                mention.definite = token.text in _DEFINITE
                break
            if lexeme is None and token.text in w.FRESH_MARKERS:
                mention.fresh = True
                mention.np_start = i
                i -= 1
                continue
            if token.text in w.NOUN_PHRASE_STOPS and (
                lexeme is None or lexeme.entry.role not in ("count", "colour", "size")
            ):
                break
            if lexeme is None:
                unknown += 1
                if unknown > 3:
                    break
                i -= 1
                continue
            if not self._modifies(lexeme, noun, mention):
                break
            if lexeme.entry.role == "count" and explicit_count is None:
                explicit_count = lexeme.entry.number
            mention.np_start = lexeme.start
            if lexeme.entry.role == "count" and self.tokens[lexeme.start].text in ("a", "an"):
                break
            i = lexeme.start - 1
        self._postposed(noun, mention)
        mention.colour = mention.colour or entry.colour  # "a brown polar bear" is brown
        mention.size = mention.size or entry.size
        mention.count_given = explicit_count is not None or bool(entry.number)
        mention.count = min(
            explicit_count if explicit_count is not None else count, MAX_COUNT_PER_SUBJECT
        )
        return mention

    def _modifies(self, lexeme: Lexeme, noun: Lexeme, mention: Mention) -> bool:
        """Take `lexeme` as an adjective of the noun if it can be one; False ends the phrase."""
        entry = lexeme.entry
        if entry.role == "colour":
            mention.colour = mention.colour or entry.value
        elif entry.role == "size":
            mention.size = mention.size or entry.value
        elif entry.role == "count":
            pass  # the caller keeps the number
        elif entry.role == "motion" and entry.participle:
            mention.motion = mention.motion or entry.value
        elif entry.role == "style" and entry.colour is not None and lexeme.end == noun.start:
            mention.colour = mention.colour or entry.colour
        elif entry.role == "subject" and lexeme.end == noun.start:
            # A noun used as an adjective: "baby elephant", "robot dog", "house cat".
            if entry.value == "child":
                mention.size = mention.size or "small"
        else:
            return False
        self.used.add(id(lexeme))
        return True

    def _postposed(self, noun: Lexeme, mention: Mention) -> None:
        """A colour or size after the noun: "a car that is red", "a woman in blue"."""
        i = noun.end
        if i < len(self.tokens) and self.tokens[i].text == ",":  # "a car, painted red"
            i += 1
        stages = (_POSTPOSED_RELATIVES, _POSTPOSED_COPULAS, _POSTPOSED_LEADS)
        words_before = 0
        for stage in stages:
            if i < len(self.tokens) and self.tokens[i].text in stage and i not in self.at:
                i += 1
                words_before += 1
        if i < len(self.tokens) and self.tokens[i].text in _INTENSIFIERS and i not in self.at:
            i += 1
        lexeme = self.at.get(i)
        if words_before == 0 or lexeme is None or lexeme.start != i:
            return
        if lexeme.entry.role == "colour" and mention.colour is None:
            mention.colour = lexeme.entry.value
            self.used.add(id(lexeme))
        elif lexeme.entry.role == "size" and mention.size is None:
            mention.size = lexeme.entry.value
            self.used.add(id(lexeme))

    def _is_place_modifier(self, noun: Lexeme) -> bool:
        """ "The castle hallway": a noun before a place word describes the place."""
        after = self.at.get(noun.end)
        if after is None or after.start != noun.end or after.entry.role != "setting":
            return False
        place = w.PLACE_NOUNS.get(noun.entry.value)
        if place is not None:
            self.facts.setting = place[0]
        return True

    def _names_place(self, noun: Lexeme, mention: Mention) -> bool:
        """ "In front of a castle" sets the scene at a castle instead of adding one."""
        place = w.PLACE_NOUNS.get(noun.entry.value)
        if place is None or noun.entry.plural or mention.np_start == 0:
            return False
        setting, prepositions = place
        if self.tokens[mention.np_start - 1].text not in prepositions:
            return False
        self.facts.setting = setting
        self.used.add(id(noun))
        return True

    # 2b. verbs, pronouns and directions, clause by clause

    def _read_clauses(self, mentions: list[Mention]) -> None:
        by_start = {mention.np_start: mention for mention in mentions}
        lexeme_at = {lx.start: lx for lx in self.lexemes if id(lx) not in self.used}
        i = 0
        while i < len(self.tokens):
            mention = by_start.get(i)
            if mention is not None:
                self._on_mention(mention)
                i = mention.end
                continue
            lexeme = lexeme_at.get(i)
            if lexeme is not None:
                self._on_lexeme(lexeme, by_start)
                i = lexeme.end
                continue
            self._on_word(self.tokens[i])
            i += 1

    def _on_word(self, token: Token) -> None:
        text = token.text
        if text in _CLAUSE_PUNCTUATION or (token.kind == "word" and text in w.CLAUSE_STARTS):
            self._new_clause()
        elif text == ",":
            self.joined = True
            self.joined_with = False
        elif text in w.JOINERS:
            self.joined = True
            self.joined_with = text in ("with", "alongside", "along")

    def _new_clause(self) -> None:
        self.unattached.extend(self.pending)
        self.clause_mentions = []
        self.group = []
        self.group_is_pronoun = False
        self.group_has_verb = False
        self.joined = self.joined_with = False
        self.pending = []

    def _on_mention(self, mention: Mention) -> None:
        if self.group and self.joined and not self.group_has_verb:  # "a cat and a dog"
            self.group.append(mention)
        elif self.group and self.joined_with and self.last_motion is not None:
            self.group.append(mention)  # "a man walks with a dog"
            mention.undergo(self.last_motion)
        else:  # a new subject, or the object of the last verb ("a dog chases a cat that...")
            self.group = [mention]
            self.group_has_verb = False
            self.group_is_pronoun = False
        self.clause_mentions.append(mention)
        if self.pending_direction is not None:
            mention.direction = self.pending_direction
            self.pending_direction = None
        for motion in self.pending:
            mention.do(motion)
            self.facts.has_action = True
        self.pending = []
        self.joined = self.joined_with = False
        self.actors.append((mention.start, [mention]))

    def _on_lexeme(self, lexeme: Lexeme, by_start: dict[int, Mention]) -> None:
        role = lexeme.entry.role
        if role == "motion":
            self._on_verb(lexeme, by_start.get(lexeme.end))
        elif role == "heading":
            self._on_heading(lexeme.entry.value)
        elif role == "direction":
            self._on_direction(lexeme.entry.value)
        elif role == "pronoun":
            self._on_pronoun(lexeme)

    def _on_direction(self, direction: str) -> None:
        """A direction moves the current subjects and anyone else in the clause not yet told
        otherwise: in "a dog chases a cat to the left" both go left."""
        if not self.clause_mentions:
            self.pending_direction = direction
        for mention in self.clause_mentions:
            if mention.direction is None or mention in self.group:
                mention.direction = direction

    def _on_heading(self, motion: str) -> None:
        """ "Toward the camera", "away": whoever moves in the clause moves that way, so in
        "a knight rides a horse toward the camera" both come closer."""
        movers = [
            m for m in self.clause_mentions if (m.motion or m.carried_motion) not in (None, "idle")
        ]
        targets = {id(m): m for m in [*self.group, *movers]}
        if not targets:
            self.pending.append(motion)
            return
        for mention in targets.values():
            mention.do(motion)
        self.facts.has_action = True

    def _on_verb(self, verb: Lexeme, following: Mention | None) -> None:
        if self._is_noun(verb) or self._has_scene_subject(verb):
            return
        motion = verb.entry.value
        mode = verb.entry.object_mode
        obj = following
        if obj is not None and mode in ("shared", "causative", "object_only"):
            obj.undergo(_adapt(motion, obj.kind))
        if self.group or self.group_is_pronoun or obj is not None:
            self.facts.has_action = True
        subject_moves = mode == "shared" or mode == "" or (mode == "causative" and obj is None)
        if subject_moves:
            if self.group:
                for mention in self.group:
                    mention.do(_adapt(motion, mention.kind))
            elif not self.group_is_pronoun:
                self.pending.append(motion)
        self.group_has_verb = True
        self.last_motion = motion
        self.joined = self.joined_with = False

    def _is_noun(self, verb: Lexeme) -> bool:
        """ "A run", "the fall": a verb's spelling used as a noun."""
        return verb.start > 0 and self.tokens[verb.start - 1].text in _DETERMINERS

    def _has_scene_subject(self, verb: Lexeme) -> bool:
        """ "The rain falls", "night has come": the verb is the scene's, not a subject's."""
        i = verb.start - 1
        while i >= 0 and self.tokens[i].text in _AUXILIARIES and i not in self.at:
            i -= 1
        before = self.at.get(i)
        return before is not None and before.entry.role in _NOUNS_BEFORE_VERBS

    def _on_pronoun(self, lexeme: Lexeme) -> None:
        word = self.tokens[lexeme.start].text
        # After its clause's verb a pronoun is the object, never the subject itself:
        # in "a police car follows it", "it" is someone else.
        exclude = self.group if self.group_has_verb else []
        referents = self._resolve(lexeme.entry.value, exclude)
        if any(mention.carried for mention in referents):
            self.facts.refers_back = True
            for mention in referents:
                if mention.carried and mention.start < 0:
                    mention.start = lexeme.start
        self.actors.append((lexeme.start, referents))  # none: "she", but who is unknown
        if word in w.SUBJECT_PRONOUNS:
            self.group = referents
            self.group_is_pronoun = True
            self.clause_mentions.extend(referents)
            self.group_has_verb = False
            self.joined = self.joined_with = False
            for motion in self.pending:
                for mention in referents:
                    mention.do(motion)
            self.pending = []

    def _resolve(self, pronoun: str, exclude: Sequence[Mention]) -> list[Mention]:
        """The subjects a pronoun stands for: the latest fitting one named before it."""
        named = [m for _, group in self.actors for m in group if not m.carried]
        named = [m for m in named if all(m is not other for other in exclude)]
        pool = named or self.carried
        if not pool:
            return []
        latest_first = pool[::-1]
        if pronoun == "they":
            plural = [m for m in latest_first if m.count > 1]
            return plural[:1] if plural else list(pool)
        if pronoun == "he":
            return [_latest(latest_first, _MALE_KINDS, _CREATURES)]
        if pronoun == "she":
            return [_latest(latest_first, _FEMALE_KINDS, _CREATURES)]
        return [_latest(latest_first, _THINGS)]

    # 2c. the scene, and who says what

    def _scene(self) -> None:
        facts = self.facts
        for lexeme in self.lexemes:
            if id(lexeme) in self.used:
                continue
            role, value = lexeme.entry.role, lexeme.entry.value
            if role == "setting" and facts.setting is None:
                facts.setting = value
            elif role == "time" and facts.time_of_day is None:
                facts.time_of_day = value
            elif role == "weather" and facts.weather is None:
                facts.weather = value
            elif role == "camera" and facts.camera is None:
                facts.camera = value
            elif role == "style" and facts.style is None:
                facts.style = value

    def _dialogue(self) -> None:
        speech = [lx.start for lx in self.lexemes if lx.entry.role == "speech"]
        for i, token in enumerate(self.tokens):
            if token.kind == "quote":
                self.facts.dialogue.append((token.quote, self._speaker(i, speech)))

    def _speaker(self, quote_at: int, speech: Sequence[int]) -> str | None:
        sentence = self._sentence_of(quote_at)
        verbs = [v for v in speech if v in sentence and abs(v - quote_at) <= _SPEECH_REACH]
        if not verbs:
            return None
        verb = min(verbs, key=lambda v: (abs(v - quote_at), v))
        actors = [
            (abs(position - verb), position > verb, group[0].kind if group else None)
            for position, group in self.actors
            if position in sentence and abs(position - verb) <= _SPEECH_REACH
        ]
        return min(actors, key=lambda actor: actor[:2])[2] if actors else None

    def _sentence_of(self, position: int) -> range:
        start = position
        while start > 0 and self.tokens[start - 1].text not in _SENTENCE_ENDS:
            start -= 1
        stop = position
        while stop < len(self.tokens) and self.tokens[stop].text not in _SENTENCE_ENDS:
            stop += 1
        return range(start, stop)


def _latest(candidates: Sequence[Mention], *preferences: frozenset[str]) -> Mention:
    """The first candidate (latest named) of the first preferred kinds that has one."""
    for kinds in preferences:
        for mention in candidates:
            if mention.kind in kinds:
                return mention
    return candidates[0]


def _adapt(motion: str, kind: str) -> str:
    """A motion in the subject's own way: a chased car drives, a carried umbrella floats."""
    if motion in ("walk", "run", w.RIDE) and SUBJECT_CATEGORIES[kind] in ("vehicle", "object"):
        return w.MOVE
    return motion


def _merge(mentions: Sequence[Mention]) -> list[Mention]:
    """One subject per thing: "a dog ... the dog" is one dog, "another dog" a second."""
    merged: list[Mention] = []
    for mention in mentions:
        same = None
        if not mention.fresh:
            same = next((m for m in merged if _same_thing(m, mention)), None)
        if same is None:
            merged.append(mention)
            continue
        same.colour = same.colour or mention.colour
        same.size = same.size or mention.size
        if mention.motion is not None:
            same.do(mention.motion)
        same.carried_motion = same.carried_motion or mention.carried_motion
        same.direction = mention.direction or same.direction
    return merged


def _same_thing(earlier: Mention, later: Mention) -> bool:
    if earlier.kind != later.kind:
        return False
    return later.colour is None or earlier.colour is None or later.colour == earlier.colour
