// Posts the deep-linking response back to the LMS as soon as the page loads (the button
// stays for browsers without JavaScript). A file, not an inline script: the CSP forbids those.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
