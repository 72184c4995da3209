internal import CSQLCipher
import VaultKeys

extension Connection {
    /// Re-encrypts every page of the database with `key` (`sqlite3_rekey_v2`)
    /// in one write transaction: in WAL mode every page is written to the WAL
    /// under the new key and the commit frame makes the switch atomic.
    ///
    /// The result is NOT verified here. SQLCipher 3.4.1 returns `SQLITE_OK`
    /// even when the rewrite failed and was rolled back (crypto.c,
    /// `sqlite3_rekey_v2`: the page loop's error only selects
    /// `sqlite3BtreeRollback`, the function then `return SQLITE_OK`), so the
    /// caller must open the file afresh with each key to learn which one it
    /// uses.
    ///
    /// SQLCipher: https://www.zetetic.net/sqlcipher/sqlcipher-api/#rekey
    func rekeyUnverified(to key: MasterKey) throws {
        let status = key.withRawKeySpecifier { specifier in
            sqlite3_rekey_v2(handle, "main", specifier.baseAddress, Int32(specifier.count))
        }
        guard status == SQLITE_OK else { throw SQLiteError(code: status, handle: handle, sql: "sqlite3_rekey(<redacted>)") }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: copies every WAL frame into the
    /// database file, fsyncs it and empties the WAL.
    ///
    /// - Throws: ``SQLiteError`` with SQLITE_BUSY when another connection
    ///   kept the checkpoint from finishing.
    func checkpointAndTruncateWAL() throws {
        let sql = "PRAGMA wal_checkpoint(TRUNCATE)"
        // > The first column is 0 unless the checkpoint was blocked from
        // > completing (SQLITE_BUSY) (sqlite.org/pragma.html#pragma_wal_checkpoint)
        let blocked: Int = try scalar(sql) ?? 0
        guard blocked == 0 else {
            throw SQLiteError(code: SQLITE_BUSY, message: "the WAL checkpoint was blocked by another connection", sql: sql)
        }
    }
}
