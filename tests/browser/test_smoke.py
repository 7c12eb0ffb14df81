from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET


def test_staff_signs_in_with_totp_in_chromium(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    assert phone.url.endswith("/today")
    screenshot(phone, "smoke-staff-today")
