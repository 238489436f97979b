"""all-MiniLM-L6-v2 in numpy (agents.embeddings), against the model's documented behaviour."""

import numpy as np
import pytest

from agents.embeddings import DIMENSIONS, default_embedder


@pytest.fixture(scope="module")
def embedder():
    return default_embedder()


def test_vectors_have_384_dimensions_and_unit_length(embedder):
    vectors = embedder.embed(["3x + 5 = 11", "The weather is lovely today."])
    assert vectors.shape == (2, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_matches_the_similarities_sentence_transformers_documents_for_this_model(embedder):
    # sentence-transformers' README example with all-MiniLM-L6-v2: 0.6660, 0.1046, 0.1411
    v = embedder.embed(["The weather is lovely today.", "It's so sunny outside!",
                        "He drove to the stadium."])
    similarities = v @ v.T
    assert similarities[0, 1] == pytest.approx(0.6660, abs=1e-3)
    assert similarities[0, 2] == pytest.approx(0.1046, abs=1e-3)
    assert similarities[1, 2] == pytest.approx(0.1411, abs=1e-3)


def test_identical_texts_have_cosine_one_and_padding_does_not_change_a_vector(embedder):
    alone = embedder.embed(["She forgot to carry the one."])[0]
    padded = embedder.embed(["She forgot to carry the one.",
                             "A much longer sentence that forces the first one to be padded a lot."])[0]
    assert float(alone @ alone) == pytest.approx(1.0, abs=1e-5)
    assert float(alone @ padded) == pytest.approx(1.0, abs=1e-5)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(embedder):
    base, paraphrase, unrelated = embedder.embed([
        "The student added the denominators when adding fractions.",
        "When adding two fractions the pupil summed the bottom numbers.",
        "The train leaves the station at noon."])
    assert base @ paraphrase > base @ unrelated + 0.3


def test_empty_input_and_overlong_text_do_not_fail(embedder):
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    assert embedder.embed(["x " * 2000]).shape == (1, DIMENSIONS)
    assert embedder.embed([""]).shape == (1, DIMENSIONS)
