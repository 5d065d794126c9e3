-- The inventory (`foreign_items`) is what "where is my data" lists: it must not outlive
-- the row it names. A foreign row may go without the federation hearing of it (a post's
-- deletion takes the likes and replies' files with it, a block ends follows, an account's
-- erasure); these triggers forget the record in the same write.
-- One branch per table: a statement naming another table's column is only prepared
-- when its branch runs.
CREATE FUNCTION forget_foreign_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key TEXT;
BEGIN
    IF TG_TABLE_NAME = 'statuses' THEN
        key := 'status:' || OLD.id;
    ELSIF TG_TABLE_NAME = 'media' THEN
        key := 'media:' || OLD.id;
    ELSIF TG_TABLE_NAME = 'follows' THEN
        key := 'follow:' || OLD.follower_id || ':' || OLD.target_id;
    ELSIF TG_TABLE_NAME = 'favourites' THEN
        key := 'favourite:' || OLD.account_id || ':' || OLD.status_id;
    ELSIF TG_TABLE_NAME = 'blocks' THEN
        key := 'block:' || OLD.account_id || ':' || OLD.target_id;
    ELSIF TG_TABLE_NAME = 'poll_votes' THEN
        key := 'vote:' || OLD.account_id || ':' || OLD.status_id;
    END IF;
    DELETE FROM foreign_items WHERE object = key;
    RETURN NULL;
END $$;
CREATE TRIGGER statuses_forget_foreign AFTER DELETE ON statuses
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
CREATE TRIGGER media_forget_foreign AFTER DELETE ON media
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
CREATE TRIGGER follows_forget_foreign AFTER DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
CREATE TRIGGER favourites_forget_foreign AFTER DELETE ON favourites
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
CREATE TRIGGER blocks_forget_foreign AFTER DELETE ON blocks
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
CREATE TRIGGER poll_votes_forget_foreign AFTER DELETE ON poll_votes
    FOR EACH ROW EXECUTE FUNCTION forget_foreign_row();
