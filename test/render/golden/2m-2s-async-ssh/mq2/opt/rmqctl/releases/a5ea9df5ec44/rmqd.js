// rmqd.js stand-in used by rmqctl golden tests
