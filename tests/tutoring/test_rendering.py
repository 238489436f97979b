"""Turn text is shown as a safe Markdown subset with maths, from a real turn's stored text."""

import pytest

from agents.llm import ScriptedEngine
from apps.tutoring import services
from apps.tutoring.models import TutoringSession
from apps.tutoring.rendering import render_turn_text
from apps.tutoring.streaming import replay_events


@pytest.mark.parametrize(("text", "html"), [
    ("What is **3 x 6**?", "<p>What is <strong>3 x 6</strong>?</p>"),
    ("*why* and `code`", "<p><em>why</em> and <code>code</code></p>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("It costs $5 and $10.", "<p>It costs $5 and $10.</p>"),  # money, not maths
    ("Solve $x + 1 = 4$.", '<p>Solve <span class="math" data-tex="x + 1 = 4">x + 1 = 4</span>.</p>'),
    (r"Half is \(\frac{1}{2}\)", r'<p>Half is <span class="math" data-tex="\frac{1}{2}">'
                                 r"\frac{1}{2}</span></p>"),
    ("$$a^2$$", '<p><span class="math display" data-tex="a^2">a^2</span></p>'),
])
def test_the_markdown_subset_and_maths(text, html):
    assert render_turn_text(text) == html


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "[click](javascript:alert(1))",
                                  "![x](http://evil/x.png)", r"\(<img src=x onerror=alert(1)>\)",
                                  "<a href='http://evil'>hi</a>", "\ue0009\ue001"])
def test_html_links_and_images_are_never_made(text):
    html = render_turn_text(text)
    assert "<script" not in html and "<a " not in html and "<img" not in html, html


@pytest.mark.django_db
def test_a_tutor_turn_and_a_student_turn_render_markdown_and_maths(alice, problem, monkeypatch,
                                                                    client):
    session = TutoringSession.objects.create(student=alice, problem=problem,
                                             classroom=alice.classrooms.get())
    monkeypatch.setattr(services, "get_llm",
                        lambda: ScriptedEngine(["What does **each** bag hold, $b$?"]))
    _student, tutor = services.post_student_message(session, "I added: $3 + 6 = 9$ <b>")
    services.run_turn(tutor.pk)
    tutor.refresh_from_db()
    assert tutor.text == "What does **each** bag hold, $b$?"  # stored verbatim
    done = replay_events(tutor.pk, 0)[-1]
    assert "<strong>each</strong>" in done["html"] and 'data-tex="b"' in done["html"]
    client.force_login(alice)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert '<span class="math" data-tex="3 + 6 = 9">' in page and "&lt;b&gt;" in page
    assert "vendor/katex-0.19.1/katex.min.js" in page and "js/maths.js" in page
