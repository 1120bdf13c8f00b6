"""Each syntactic group of the IEB scheme and each robustness case, on real sentences."""

from __future__ import annotations

import pytest

from pie_embed.labeling.rules import instruction_segment

CASES = {
    "imperative": [
        ("Outline the steps to make an apple pie.", "outline|step"),
        ("Find the title of the article from the given abstract.", "find|title"),
        ("Extract all of the dates mentioned in this paragraph.", "extract|date"),  # quantifier head
        (
            "Read a code snippet and tell me what it does.",
            "read|code",
        ),  # IEB names a compound by its first noun
        ("Decide whether the statement is true or false.", "decide|statement"),  # noun of the whether-clause
        ("Check if the given sentence is grammatically correct.", "check|sentence"),
    ],
    "wh-question": [
        ("Why is recycling important?", "why|knowledge"),
        ("How does unsupervised learning work?", "how|knowledge"),
        ("How many bytes are there in a kilobyte?", "how|knowledge"),
        ("How would you handle a difficult situation with your boss?", "handle|situation"),
        ("What is the capital of France?", "what|knowledge"),
        ("What would be the output of the following code?", "be|output"),
        ("Explain how you would teach someone how to ride a bike.", "teach|someone"),
    ],
    "yes-no-question": [
        ("Do you agree with the following statement: cats are better than dogs.", "agree|statement"),
        ("Is the following sentence true or false? Humans can breathe underwater.", "yes-no|task"),
        ("Is there an easy way to determine if two given strings are anagrams?", "determine|string"),
    ],
    "noun-only query": [
        ("India's Last 10 Presidents", "noun|knowledge"),
        ("Summary of the French revolution.", "noun|knowledge"),
    ],
    "math": [
        ("Multiply 4 and 7.", "multiply|math"),
        ("Evaluate: 64^1/2*27^-1/3.", "evaluate|math"),
        ("What is the sum of 1+2+4+8?", "what|math"),
    ],
    "translation": [
        ('Translate "Bonjour" into English.', "translate|none"),
        ("Translate the following sentence into French.", "translate|sentence"),
    ],
    "addressed passive": [
        ("You will be given two strings, A and B. Print 1 if string B occurs at the end of A.", "be|string")
    ],
    "polite or framing prefix": [
        ("Please list three countries in Europe.", "list|country"),
        ("Can you recommend a good book for a fifth-grader?", "recommend|book"),
        ("Could you please summarize this article?", "summarize|article"),
        ("I want you to write a poem about the sea.", "write|poem"),
        ("I need you to translate the following sentence into French.", "translate|sentence"),
        ("Your task is to classify the sentiment of the following review.", "classify|sentiment"),
        ("In this task, you need to read an article and detect if it is fake news.", "read|article"),
        ("Task: Return an array of all permutations of the given list.", "return|array"),
        ("Tell me how I can get a job at Google.", "get|job"),
    ],
    "leading context": [
        ("Given an array of integers, find the maximum value.", "find|value"),
        ("Given a list of numbers, sort them in ascending order.", "sort|list"),  # pronoun -> given noun
        ("A person wants to send an email to his friend.", "send|email"),
    ],
    "coordinated verbs": [
        ("Find and correct the mistakes in this text.", "correct|mistake"),
        ("Read the passage and identify the hyperbole.", "read|passage"),
    ],
    "phrasal verbs": [
        ("Write down three ideas for a science project.", "write|idea"),
        ("Print out the first ten prime numbers.", "print|number"),
        ("Come up with three ideas for a birthday party.", "come|idea"),
    ],
    "imperative read as a noun": [
        ("Name three elements of movement in a ballroom dance.", "name|element"),
        ("List three countries that border Germany.", "list|country"),
        ("Rank the following cities by population.", "rank|city"),
        ("Sort the following words alphabetically.", "sort|word"),
        ("Group the following words into two categories.", "group|word"),
    ],
    "instruction followed by its input": [
        ("Rewrite the following statement as a question:\n\nWe should take a break.", "rewrite|statement"),
        ("Categorize this sentence: She felt left out.", "categorize|sentence"),
        (
            "Summarize the text below.\nThe city council met on Tuesday to discuss the budget.",
            "summarize|text",
        ),
    ],
    "several sentences": [
        ("Describe the process of photosynthesis. Then list its inputs.", "describe|process"),
        ("You are a software developer. Implement a function that sums an array.", "implement|function"),
        ("Imagine you are a journalist. Write a headline about the local election.", "write|headline"),
        ("I am going to visit my friend in Boston. Write an itinerary for me.", "visit|friend"),
    ],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(text, label, id=f"{group}: {text[:40]}")
        for group, cases in CASES.items()
        for text, label in cases
    ],
)
def test_label(labeler, text, expected):
    result = labeler.label(text)
    assert result.label == expected, result
    assert result.rule and result.reason is None


def test_rule_names_the_path_taken(labeler):
    assert labeler.label("Your task is to classify the review.").rule == "root-verb+be->classify:dobj"
    assert labeler.label("Why is the sky blue?").rule == "wh-question"


@pytest.mark.parametrize("text", ["", "   \n", "!!! ???", "12 + 7 = 19"])
def test_no_category_has_a_reason(labeler, text):
    result = labeler.label(text)
    assert result.label is None and result.verb is None
    assert result.reason  # says why, never silently empty


def test_huge_instruction_is_labeled_from_its_start(labeler):
    text = "Summarize the following article. " + "The economy grew again this year. " * 5000
    assert labeler.label(text).label == "summarize|article"


def test_segment_drops_heading_input_and_quotes():
    assert instruction_segment("Task: Return an array.") == "Return an array."
    assert instruction_segment("Evaluate: 64^1/2") == "Evaluate: 64^1/2"  # a verb, not a heading
    assert instruction_segment("Rewrite the sentence:\nWe go.") == "Rewrite the sentence"
    assert instruction_segment('Translate "Où sont les toilettes ?" to English') == "Translate Q to English"
    assert instruction_segment("\n\n  Sort these.\nmore") == "Sort these."
