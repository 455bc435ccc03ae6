from knowledge_base.answers import plain_text, trim_answer


def test_short_sections_are_shown_whole_without_markdown_emphasis() -> None:
    assert trim_answer("You have **30 days** from delivery. See [returns](https://x/y).") == (
        "You have 30 days from delivery. See returns."
    )


def test_long_sections_are_cut_between_list_items_never_inside_one() -> None:
    items = "\n".join(
        f"- Step {n}: unplug the hub, wait ten seconds and plug it back in." for n in range(1, 30)
    )
    answer = trim_answer("Try these steps:\n" + items, max_chars=300)
    assert len(answer) <= 302
    assert answer.endswith(" …")
    for line in answer.removesuffix(" …").splitlines()[1:]:
        assert line.endswith("plug it back in.")


def test_one_long_paragraph_is_cut_after_a_whole_sentence() -> None:
    paragraph = " ".join(f"Sentence number {n} explains one more thing." for n in range(40))
    answer = trim_answer(paragraph, max_chars=200)
    assert answer.removesuffix(" …").endswith("thing.")


def test_plain_text_keeps_list_markers() -> None:
    assert plain_text("1. Open the app\n2. Tap *Devices*") == "1. Open the app\n2. Tap Devices"
