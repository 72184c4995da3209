/// People who use the app (AionUi keeps several per install). Credentials are
/// not kept here: password hashes and token secrets belong in `secrets`.
enum M0003_CreateUsers {
    static let migration = Migration(version: 3, name: "create_users", sql: """
        CREATE TABLE users (
            id            TEXT    NOT NULL PRIMARY KEY,
            username      TEXT    NOT NULL UNIQUE,
            display_name  TEXT,
            created_at    INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL,
            last_login_at INTEGER
        );
        """)
}
