-- 051_archive_volume_path.sql - where a volume file is, as written by
-- casier-archive ([archive] volume_dir + file_name), so casier-mgmtd can
-- serve the download without its own copy of that setting.
ALTER TABLE archive_volume ADD COLUMN file_path text NOT NULL DEFAULT ''
	CHECK (file_path = '' OR file_path LIKE '/%');
