// Placeholder: the push helper replaces this file with the `push` and `notificationclick`
// handlers. It exists so that /sw.js (which imports it) installs on its own.
