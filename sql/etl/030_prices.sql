-- Price history (SCD type 2): one row per staging version of each touched offer key, rebuilt whole
-- for those keys, so the cost follows the number of changed keys.
DELETE FROM core.prices p
USING staged_offers v, etl_keys k
WHERE p.staging_version_id = v.id AND v.source = k.source AND v.key = k.key;

INSERT INTO core.prices (listing_id, region_code, currency, source, status, amount, regular_amount, discount_pct,
                         valid_from, valid_to, staging_version_id)
SELECT core.public_id('l', e.store_id || ':' || e.store_item_id), e.region_code, e.currency, e.source, e.status,
       e.amount,
       CASE WHEN e.amount IS NULL THEN NULL ELSE e.regular_amount END,
       CASE WHEN e.amount IS NULL THEN NULL
            WHEN e.regular_amount > e.amount THEN round(100.0 * (e.regular_amount - e.amount) / e.regular_amount)::smallint
            ELSE 0 END,
       e.valid_from, e.valid_to, e.version_id
FROM etl_offer_versions e;
