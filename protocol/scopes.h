/*
 * Method scopes, generated from protocol/method-scopes.tsv (Appendix A of
 * the protocol reference): every method name the real gateway knows and
 * the scope class it requires.
 */
#ifndef PROTOCOL_SCOPES_H
#define PROTOCOL_SCOPES_H

/*
 * Scope class of a method: "operator.read", "operator.write",
 * "operator.admin", ..., "node" (node role only), "dynamic" (depends on
 * params), or NULL when the name is not in Appendix A (such names need
 * operator.admin).
 */
const char *proto_method_scope(const char *method);

/* 1 if scope is one of the known operator.* scopes. */
int proto_scope_known(const char *scope);

/*
 * 1 if the granted scopes (array of n strings) satisfy required, with the
 * implication rules of protocol.md section 7 (admin satisfies all; write
 * satisfies read, talk, sessions.read/write; read satisfies
 * sessions.read).
 */
int
proto_scope_satisfied(const char *const *granted, int n, const char *required);

#endif
