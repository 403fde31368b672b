"""Two members in two Chromium browsers: one posts on a project, the other, who follows it,
sees the unread count, the thread and the e-mail."""

import pytest

from regiongraph.accounts.passwords import set_password
from regiongraph.notify.deliver import deliver_pending
from tests.support import Watch

pytestmark = pytest.mark.browser
PASSWORD = "forum browser password 7"
PROJECT = "projects/micromobility-equity-study"


def signed_in(browser, url: str, email: str):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    page.goto(url + "/sign-in?next=/account")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.signin button[type=submit]")
    page.wait_for_url(url + "/account")
    return context, page, watch


def test_a_post_reaches_the_follower_in_the_browser_and_by_mail(forum_site, browser, mailbox):
    store, settings, url = forum_site["store"], forum_site["settings"], forum_site["url"]
    minter = forum_site["minter"]
    for who in ("james-okafor", "sofia-marquez"):
        set_password(store, settings, minter.iri("person", who).value, PASSWORD)
    resource = minter.base + PROJECT
    discussion = f"{url}/discussions?resource={resource}"
    follower, follower_page, follower_watch = signed_in(browser, url,
                                                        "jokafor@saguaro-az.example")
    poster, poster_page, poster_watch = signed_in(browser, url, "smarquez@mesquite-az.example")
    try:
        follower_page.goto(url + "/notifications")
        follower_page.request.post(url + "/api/v1/notifications/read", headers={
            "X-CSRF-Token": next(c["value"] for c in follower.cookies() if c["name"] == "rg_csrf")})
        follower_page.goto(discussion)
        follower_page.click("#follow")
        follower_page.wait_for_selector("#unfollow")
        follower_page.goto(url + "/account")
        assert follower_page.locator("#unread-count").inner_text() == "0"

        poster_page.goto(discussion)
        poster_page.fill("form.new-thread input[name=title]", "Equity study counts")
        poster_page.fill("form.new-thread textarea[name=text]", "Where are the ped counts?")
        poster_page.click("form.new-thread button[type=submit]")
        poster_page.wait_for_selector("article.thread h2:has-text('Equity study counts')")

        follower_page.goto(url + "/account")
        assert follower_page.locator("#unread-count").inner_text() == "1"
        follower_page.click("#nav-notifications")
        assert "New post: Equity study counts" in follower_page.locator(
            "#notifications").inner_text()
        follower_page.goto(discussion)
        assert "Where are the ped counts?" in follower_page.locator("article.thread").inner_text()
        follower_page.fill("form.reply-form textarea[name=text]", "At the corridor sensors.")
        follower_page.click("form.reply-form button[type=submit]")
        follower_page.wait_for_selector("div.reply:has-text('At the corridor sensors.')")
    finally:
        deliver_pending(store, settings)
        follower.close()
        poster.close()
    subjects = {(m["To"], m["Subject"]) for m in mailbox}
    assert ("jokafor@saguaro-az.example", "New post: Equity study counts") in subjects
    assert ("smarquez@mesquite-az.example", "Reply in “Equity study counts”") in subjects
    for watch in (follower_watch, poster_watch):
        assert watch.outside == [] and watch.errors == []
