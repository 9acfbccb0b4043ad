"""The experiments in a real browser: the sandbox's padding changes the size the page shows, and a what-if slider
moves the drawing that every panel reads."""
from playwright.sync_api import expect

from harness import draw, open_step


def test_changing_the_padding_shows_the_new_size_and_where_fc1_breaks(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["7"])
    expect(page.locator("#prediction .output-class")).to_have_text("7")
    open_step(page, "padding")
    sandbox = page.locator("#sandbox")
    expect(sandbox).to_contain_text("⌊(28 + 2·1 − 3)/1⌋ + 1 = 28")  # the seed's padding=1 first
    page.locator("#sandbox-padding label", has_text="0").click()
    expect(sandbox).to_contain_text("⌊(28 + 2·0 − 3)/1⌋ + 1 = 26")
    expect(sandbox).to_contain_text("2,304")
    expect(sandbox).to_contain_text("mat1 and mat2 shapes cannot be multiplied (1x2304 and 3136x128)")
