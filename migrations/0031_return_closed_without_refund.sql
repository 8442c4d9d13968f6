-- A refunded return names the refund that gave its units' money back, or
-- none when that money had already been given back before it (an admin
-- refunded those units or the whole payment first, or they cost nothing):
-- such a return still closes.
ALTER TABLE returns
    DROP CONSTRAINT returns_check,
    ADD CONSTRAINT returns_refund_only_when_refunded
        CHECK (refund_id IS NULL OR status = 'refunded');
