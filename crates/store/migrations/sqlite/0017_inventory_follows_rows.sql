-- The inventory (`foreign_items`) is what "where is my data" lists: it must not outlive
-- the row it names. A foreign row may go without the federation hearing of it (a post's
-- deletion takes the likes and replies' files with it, a block ends follows, an account's
-- erasure); these triggers forget the record in the same write.
CREATE TRIGGER statuses_forget_foreign AFTER DELETE ON statuses
BEGIN DELETE FROM foreign_items WHERE object = 'status:' || OLD.id; END;
CREATE TRIGGER media_forget_foreign AFTER DELETE ON media
BEGIN DELETE FROM foreign_items WHERE object = 'media:' || OLD.id; END;
CREATE TRIGGER follows_forget_foreign AFTER DELETE ON follows
BEGIN DELETE FROM foreign_items WHERE object = 'follow:' || OLD.follower_id || ':' || OLD.target_id; END;
CREATE TRIGGER favourites_forget_foreign AFTER DELETE ON favourites
BEGIN DELETE FROM foreign_items WHERE object = 'favourite:' || OLD.account_id || ':' || OLD.status_id; END;
CREATE TRIGGER blocks_forget_foreign AFTER DELETE ON blocks
BEGIN DELETE FROM foreign_items WHERE object = 'block:' || OLD.account_id || ':' || OLD.target_id; END;
CREATE TRIGGER poll_votes_forget_foreign AFTER DELETE ON poll_votes
BEGIN DELETE FROM foreign_items WHERE object = 'vote:' || OLD.account_id || ':' || OLD.status_id; END;
