// The practice page (quizzes/practice.html). The answer swaps in the result and, out of band,
// the disabled options (removing the button that had focus). Put keyboard and screen-reader
// focus on the verdict in the same task as the swap, so no key the learner presses can land
// in between. Not `autofocus` on an htmx answer: the browser and htmx's settle would each
// focus it again later, pulling focus back from wherever the learner has moved it by then.
// Once per verdict: a swap fires afterSwap once for each element it put in.
document.addEventListener("htmx:afterSwap", () => {
  const verdict = document.getElementById("verdict");
  if (verdict && !verdict.dataset.focused) {
    verdict.dataset.focused = "true";
    verdict.focus();
  }
});
