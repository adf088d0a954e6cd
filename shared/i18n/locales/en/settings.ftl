## Settings: the token's state (GetIntegration, ListCompanies), RegisterToken's refusals and the
## user code warnings of UpsertUsers.

token-unreadable-key-missing = The registered token was sealed with the token key "{ $key_id }", which the settings service does not have: nothing is matched or synced; restore that key (crypto.token_keys or crypto.token_key_file), or register the token again.
token-unreadable-key-mismatch = The registered token was sealed with the token key "{ $key_id }", and the key configured under that id does not open it (its bytes are not those that sealed the token, or the stored data is damaged): nothing is matched or synced; configure the key that sealed it under that id, or register the token again.
token-rejected-authentication = KING OF TIME rejected the token (403, code 100: authentication failed): it is suspended, deleted or expired, or this server's IP address is not among its permitted IP addresses; issue a new token in KING OF TIME (or fix its permitted IP addresses) and register it.
token-rejected = KING OF TIME rejected the token; register a new token.

register-token-not-available = KING OF TIME says this token is not available (suspended or deleted); issue a new token in KING OF TIME and register it; nothing was stored.
register-token-authentication-failed = KING OF TIME rejected the token (authentication failed): check that it was copied whole and that this server's IP address is among the token's permitted IP addresses; nothing was stored.
register-token-unreachable = KING OF TIME could not be reached to verify the token; nothing was stored; try again later.

user-code-missing = The user has no user code, so it cannot be linked to a KING OF TIME employee.
user-code-spaces = "{ $code }" starts or ends with a space; KING OF TIME employee codes never do, so it will not match "{ $suggested }".
user-code-full-width = "{ $code }" contains full-width characters; KING OF TIME employee codes are half-width, e.g. "{ $suggested }".
user-code-length = "{ $code }" has { $chars } characters; KING OF TIME employee codes have { $min } to { $max }.
user-code-stray-characters = The user code contains emoji or invisible format characters ({ $chars }); no KING OF TIME employee code can hold them, so it matches no employee (without them: "{ $suggested }").
register-token-elsewhere = This KING OF TIME token is already registered for another company, and a token can be registered for one company only (with one token, punches would be mistaken for another company's); register a token issued in this company's KING OF TIME. Nothing was stored.
