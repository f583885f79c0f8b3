/* Source-text helpers. The parse tree (libpg_query) gives the structure of every
   statement and the byte offset where nodes start, but not where an expression ends;
   the text of a DEFAULT expression, a CHECK expression or a partial index's WHERE
   clause is taken from the source with these token-level helpers (they skip comments,
   quoted strings and identifiers, dollar quotes, and balance parentheses; they parse no
   grammar). */
#ifndef CERDGEN_SQLTEXT_H
#define CERDGEN_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Skips whitespace and comments (-- and nested slash-star) from pos; returns the first
   position of a token, or end. */
size_t sql_skip_blank(const char *s, size_t pos, size_t end);

/* End (exclusive) of the token starting at pos (pos must not be blank). */
size_t sql_token_end(const char *s, size_t pos, size_t end);

/* Whether the token [a, b) is the bare (unquoted) word `word`, case-insensitively. */
bool sql_token_is_word(const char *s, size_t a, size_t b, const char *word);

/* The expression starting at the first token at or after pos and running to a ',' or
   unbalanced ')' at nesting depth 0, or to limit. Sets [*a, *b) (no surrounding blanks
   or comments); returns false when it is empty. */
bool sql_expr_extent(const char *s, size_t pos, size_t limit, size_t *a, size_t *b);

/* The text inside the first parenthesised group at or after pos (before end): sets
   [*a, *b), blanks trimmed. Returns false when there is none or it is unbalanced. */
bool sql_paren_group(const char *s, size_t pos, size_t end, size_t *a, size_t *b);

/* Position of the token following the first bare word `word` at nesting depth 0 in
   [pos, end), or end when there is none. */
size_t sql_after_word(const char *s, size_t pos, size_t end, const char *word);

/* End of the last token in [pos, end): end with trailing blanks and comments removed. */
size_t sql_trim_end(const char *s, size_t pos, size_t end);

/* 1-based line number of byte offset pos. */
int sql_line_of(const char *s, size_t pos);

#endif
