// Server messages start in lower case ("username must be…"); on screen they start a sentence.

export function asSentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
