#ifndef SIMVAULT_CSECRET_SHIM_H
#define SIMVAULT_CSECRET_SHIM_H

#include <libsecret/secret.h>

/// g_hash_table_new_full with g_str_hash/g_str_equal: Swift cannot pass the
/// GLib hash functions as C function pointers through the generic API.
static inline GHashTable *simvault_string_table_new(void) {
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/// Inserts copies of key and value (freed by the table).
static inline void simvault_string_table_insert(GHashTable *table, const char *key, const char *value) {
    g_hash_table_insert(table, g_strdup(key), g_strdup(value));
}

/// The attribute-type table for secret_schema_newv (values are enum ints).
static inline GHashTable *simvault_schema_table_new(void) {
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static inline void simvault_schema_table_insert_string(GHashTable *table, const char *name) {
    g_hash_table_insert(table, g_strdup(name), GINT_TO_POINTER(SECRET_SCHEMA_ATTRIBUTE_STRING));
}

/// g_list_free_full(list, g_object_unref): the cast of g_object_unref to
/// GDestroyNotify is a C idiom Swift cannot express.
static inline void simvault_object_list_free(GList *list) {
    g_list_free_full(list, g_object_unref);
}

/// g_object_unref takes gpointer; a typed wrapper keeps call sites readable.
static inline void simvault_object_unref(void *object) {
    g_object_unref(object);
}

#endif
