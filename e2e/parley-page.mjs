// Drives one browser tab of the Parley web app the way a person would.

const STEP_TIMEOUT_MS = 15_000;

export class ParleyPage {
  /** @param {import('playwright-core').Page} page */
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
    this.dialogs = [];
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // An alert() would mean user text ran as HTML; record it and dismiss it.
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    this.errors = [];
    page.on('pageerror', (error) => this.errors.push(error.message));
    // The browser reports what the Content-Security-Policy blocked on the console.
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) this.errors.push(message.text());
    });
  }

  async open() {
    await this.page.goto(this.baseUrl);
  }

  // ---- sign in ----

  get authForm() {
    return this.page.locator('.auth-form');
  }

  get formError() {
    return this.page.locator('.form-error');
  }

  async submitAuth(mode, username, password) {
    await this.page.locator(`.auth-tab[data-mode="${mode}"]`).click();
    await this.page.locator('input[name="username"]').fill(username);
    await this.page.locator('input[name="password"]').fill(password);
    await this.page.locator('.auth-submit').click();
  }

  /** Submits and waits for the server's error text. */
  async authError(mode, username, password) {
    await this.submitAuth(mode, username, password);
    await this.formError.waitFor({ state: 'visible' });
    return (await this.formError.textContent()).trim();
  }

  async register(username, password) {
    await this.submitAuth('register', username, password);
    await this.waitForChat(username);
  }

  async login(username, password) {
    await this.submitAuth('login', username, password);
    await this.waitForChat(username);
  }

  async waitForChat(username) {
    await this.page.locator('.me-name', { hasText: username }).waitFor();
    await this.waitConnected();
  }

  async waitConnected() {
    await this.page.locator('.connection[data-state="open"]').waitFor({ timeout: 30_000 });
  }

  /** The logout button, then "Log out" in its confirmation. */
  async logOut() {
    await this.page.locator('.logout-button').click();
    await this.page.locator('.logout-dialog .logout-confirm').click();
    await this.authForm.waitFor();
  }

  async token() {
    return this.page.evaluate(() => localStorage.getItem('parley.token'));
  }

  // ---- people ----

  userButton(username) {
    return this.page.locator('.user', { has: this.page.locator('.user-name', { hasText: new RegExp(`^${escapeRegExp(username)}$`) }) });
  }

  async search(query) {
    await this.page.locator('.search-input').fill(query);
  }

  async openChat(username) {
    const button = this.userButton(username);
    if (!(await button.isVisible())) await this.search(username);
    await button.click();
    await this.page.locator('.peer-name', { hasText: username }).waitFor();
    // The history has loaded once the "loading" note is gone.
    await this.page.waitForFunction(() => {
      const note = document.querySelector('.messages-older');
      return note && (note.hidden || note.dataset.kind !== 'loading');
    });
  }

  unreadBadge(username) {
    return this.userButton(username).locator('.unread-badge');
  }

  // ---- rooms ----

  /** The sidebar row of a room. */
  roomButton(name) {
    return this.page.locator('.user[data-kind="room"]', { has: this.page.locator('.user-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
  }

  roomUnreadBadge(name) {
    return this.roomButton(name).locator('.unread-badge');
  }

  async createRoom(name, kind = 'public') {
    await this.page.locator('.new-room-button').click();
    const dialog = this.page.locator('.new-room-dialog');
    await dialog.locator('input[name="name"]').fill(name);
    await dialog.locator(`input[name="kind"][value="${kind}"]`).check();
    await dialog.locator('.dialog-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await this.waitForOpenRoom(name);
  }

  /** Opens "Public rooms", searches for `name` and joins (or opens) it. */
  async joinRoom(name) {
    await this.page.locator('.browse-rooms-button').click();
    const dialog = this.page.locator('.room-browser');
    await dialog.locator('.room-browser-input').fill(name);
    const row = dialog.locator('.room-row', { has: this.page.locator('.room-row-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
    await row.locator('.room-row-button').click();
    await dialog.waitFor({ state: 'hidden' });
    await this.waitForOpenRoom(name);
  }

  /** The names of the public rooms the browser lists for `query`. */
  async browseRooms(query) {
    await this.page.locator('.browse-rooms-button').click();
    const dialog = this.page.locator('.room-browser');
    await dialog.locator('.room-browser-input').fill(query);
    // The list is filled once the "Loading" note is gone.
    await this.page.waitForFunction(() => {
      const note = document.querySelector('.room-browser-empty');
      return note && (note.hidden || !note.textContent.startsWith('Loading'));
    });
    await this.page.waitForTimeout(400);
    const names = await dialog.locator('.room-row-name').allTextContents();
    await dialog.locator('.dialog-cancel').click();
    return names;
  }

  async openRoom(name) {
    await this.roomButton(name).click();
    await this.waitForOpenRoom(name);
  }

  async waitForOpenRoom(name) {
    await this.page.locator('.peer-name', { hasText: name }).waitFor();
    await this.page.waitForFunction(() => {
      const note = document.querySelector('.messages-older');
      return note && (note.hidden || note.dataset.kind !== 'loading');
    });
  }

  async openMembers() {
    const panel = this.page.locator('.member-panel');
    if (!(await panel.isVisible())) await this.page.locator('.members-button').click();
    await panel.waitFor();
    await panel.locator('.member').first().waitFor();
  }

  member(username) {
    return this.page.locator('.member-list .member', { has: this.page.locator('.member-name', { hasText: new RegExp(`^${escapeRegExp(username)}( \\(you\\))?$`) }) });
  }

  async addMember(username) {
    await this.openMembers();
    await this.page.locator('.member-add-input').fill(username);
    await this.page.locator('.member-add-button', { hasText: 'Add' }).and(this.page.locator(`[aria-label="Add ${username}"]`)).click();
    await this.member(username).waitFor();
  }

  async removeMember(username) {
    await this.openMembers();
    await this.member(username).locator('.member-remove').click();
    await this.member(username).waitFor({ state: 'detached' });
  }

  /** A member line ("Bob joined", "Carol was removed") in the open room. */
  memberEvent(text) {
    return this.page.locator('.member-event', { hasText: new RegExp(`^${escapeRegExp(text)}$`) });
  }

  /** The sender name shown above a room message. */
  async senderOf(text) {
    return this.messages(text, 'theirs').first().locator('.message-sender').textContent();
  }

  // ---- messages ----

  get composer() {
    return this.page.locator('.composer-input');
  }

  async send(text) {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }

  /** Bubbles whose whole text is `text`; `from` is 'mine' or 'theirs'. */
  messages(text, from) {
    const selector = from ? `.message-${from}` : '.message';
    return this.page.locator(selector).filter({
      has: this.page.locator('.message-text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }),
    });
  }

  async waitForMessage(text, from, { status } = {}) {
    const message = this.messages(text, from);
    const target = status ? message.and(this.page.locator(`[data-status="${status}"]`)) : message;
    await target.first().waitFor({ timeout: 20_000 });
    return message;
  }

  /** The receipt on my message: 'pending' | 'sent' | 'delivered' | 'read' | 'failed'. */
  async waitForReceipt(text, receipt) {
    await this.messages(text, 'mine').and(this.page.locator(`[data-receipt="${receipt}"]`)).first()
      .waitFor({ timeout: 20_000 });
  }

  async receipt(text) {
    return this.messages(text, 'mine').first().getAttribute('data-receipt');
  }

  /** "typing…" under the open chat's name. */
  get typingInHeader() {
    return this.page.locator('.peer-status[data-typing="true"]', { hasText: 'typing…' });
  }

  /** "typing…" in the sidebar row of `username`. */
  typingInList(username) {
    return this.userButton(username).locator('.user-preview[data-kind="typing"]');
  }

  /** Opens the menu of my message with the right mouse button, as a person would. */
  async openMessageMenu(text) {
    await this.messages(text, 'mine').first().locator('.bubble').click({ button: 'right' });
    await this.page.locator('.message-menu[data-mode="choices"]').waitFor();
  }

  async editMessage(text, newText) {
    await this.openMessageMenu(text);
    await this.page.locator('.message-menu .menu-item[data-action="edit"]').click();
    await this.page.locator('.composer[data-mode="edit"]').waitFor();
    await this.composer.fill(newText);
    await this.composer.press('Enter');
  }

  async deleteMessage(text) {
    await this.openMessageMenu(text);
    await this.page.locator('.message-menu .menu-item[data-action="delete"]').click();
    await this.page.locator('.message-menu [data-action="confirm-delete"]').click();
  }

  /** Bubbles showing "This message was deleted" (or "You deleted this message"). */
  get deletedMessages() {
    return this.page.locator('.message[data-deleted="true"]');
  }

  async messageTexts() {
    return this.page.locator('.message .message-text').allTextContents();
  }

  // ---- attachments ----

  /** Picks files with the attach button's file input: [{ name, mimeType, buffer }]. */
  async attach(files) {
    await this.page.locator('.attach-input').setInputFiles(files);
  }

  /** The chip of a file waiting above the composer. */
  pendingChip(name) {
    return this.page.locator('.pending-attachment', { has: this.page.locator('.pending-name', { hasText: name }) });
  }

  async waitUploaded(name) {
    await this.pendingChip(name).and(this.page.locator('[data-state="done"]')).waitFor({ timeout: 20_000 });
  }

  /** The send button, for a message that is files alone (Enter in an empty box sends too). */
  async sendNow() {
    await this.page.locator('.send-button:not(:disabled)').click();
  }

  async screenshot(file) {
    await this.page.screenshot({ path: file, animations: 'disabled' });
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
