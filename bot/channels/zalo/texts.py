"""Sentences only the Zalo channel says, in Vietnamese (NFC)."""

from __future__ import annotations

# Zalo's terms: tell users they talk to an automated system and whether data is collected.
NOTICE = (
    "ℹ️ Đây là trợ lý tự động, không phải cán bộ trực tiếp trả lời. Câu hỏi của bạn được lưu "
    "có thời hạn, sau khi đã che số điện thoại và số giấy tờ, để cải thiện câu trả lời."
)
PRIVACY_CHOICE = "🔒 Trợ lý lưu gì về bạn và cách xóa"
PRIVACY_FAQ = "bot.privacy"
CHOOSE_HINT = "Gõ số để chọn (ví dụ: 1)."
FEEDBACK_HINT = "Câu trả lời có giúp được bạn không? Gõ 👍 hoặc 👎 (hoặc số tương ứng)."
OUT_OF_RANGE = "Bạn hãy gõ một số từ 1 đến {count} để chọn, hoặc gõ câu hỏi mới."
NO_PENDING = (
    "Hiện không có danh sách nào để chọn theo số. Bạn hãy gõ câu hỏi bằng lời của mình, "
    "hoặc gõ /menu để xem các chủ đề."
)
# Sent instead of the content for users in legally protected groups and for links: never an
# error, never a hint that the user did something wrong.
UNSUPPORTED = (
    "Tôi chưa xem được nội dung tin nhắn này. Bạn vui lòng gõ câu hỏi bằng chữ, ví dụ: "
    "“quên mật khẩu dịch vụ công”. Nếu cần người hỗ trợ trực tiếp, gõ /lienhe để xem số "
    "tổng đài."
)

# Staff read these when a broadcast cannot use Zalo.
TOKEN_REFUSED = "Zalo từ chối ZALO_BOT_TOKEN (token sai hoặc đã được tạo lại). Không gửi tin nào."
UNREACHABLE = "Không kết nối được máy chủ Zalo: {error}. Các tin chưa gửi vẫn được giữ lại."

# Staff tools typed in a private chat (ZALO_ADMIN_IDS / STAFF_IDENTITIES "zalo:<id>").
STAFF_STATS = "📊 Thống kê\n\n{label_today}: {today}\n\n{label_week}: {week}"
STAFF_PERIOD = (
    "{questions} câu hỏi; trả lời được {answered}, cần chọn lại {ambiguous}, chưa có câu trả lời "
    "{no_match}; đánh giá 👍 {helpful} · 👎 {not_helpful}"
)
STAFF_TODAY = "Hôm nay"
STAFF_WEEK = "7 ngày"
STAFF_NO_STORAGE = "Chưa bật lưu trữ nên chưa dùng được lệnh này."
STAFF_INBOX_HEADER = "📥 Hộp câu hỏi cần xử lý ({count} mục, hiển thị {shown}):"
STAFF_INBOX_ITEM = "#{id} [{kind}] ×{count}: {text}"
STAFF_INBOX_SUGGESTION = "   → gợi ý: {faq_id}"
STAFF_INBOX_HOW = (
    "Gõ /duyet SỐ để thêm cách hỏi vào câu hỏi gợi ý (hoặc /duyet SỐ MÃ_CÂU_HỎI), /bo SỐ để bỏ qua."
)
STAFF_INBOX_EMPTY = "📥 Hộp câu hỏi trống. Không có gì cần xử lý."
STAFF_INBOX_KINDS = {
    "no_match": "chưa có câu trả lời",
    "ambiguous": "chưa chắc",
    "negative_feedback": "👎",
}
STAFF_ITEM_USAGE = "Gõ /duyet SỐ hoặc /bo SỐ, với SỐ là số sau dấu # trong /inbox."
STAFF_NO_SUGGESTION = "Mục #{id} chưa có câu hỏi gợi ý: gõ /duyet {id} MÃ_CÂU_HỎI."
STAFF_PROMOTED = "Đã thêm cách hỏi của mục #{id} vào {faq_id} và cập nhật kho câu hỏi."
STAFF_DISMISSED = "Đã bỏ qua mục #{id}."
STAFF_GONE = "Mục #{id} đã được xử lý hoặc không còn trong hộp."
STAFF_RELOADED = "Đã tải lại kho câu hỏi: phiên bản {version}, {entries} câu hỏi đang dùng."
STAFF_RELOAD_FAILED = "Không tải lại được kho câu hỏi. Chi tiết đã được ghi vào nhật ký."
STAFF_BROADCAST_USAGE = (
    "Gõ /broadcast rồi nội dung thông báo trong cùng tin nhắn, ví dụ:\n"
    "/broadcast Cổng dịch vụ công tạm dừng bảo trì từ 22h tối nay."
)
STAFF_BROADCAST_PREVIEW = (
    "Xem trước thông báo sẽ gửi tới mọi người đăng ký (Zalo và các kênh khác):\n\n{preview}\n\n"
    "Gõ GỬI để gửi ngay, hoặc HỦY để thôi."
)
STAFF_BROADCAST_STARTED = (
    "Đã tạo đợt gửi #{run_id}; đang gửi. Xem tiến độ: python -m bot broadcast status"
)
STAFF_BROADCAST_CANCELLED = "Đã hủy, không gửi gì."
STAFF_BROADCAST_NOTHING = "Không có thông báo nào đang chờ gửi. Gõ /broadcast NỘI DUNG để soạn."
STAFF_BROADCAST_INVALID = "Không gửi được thông báo này: {reason}"
STAFF_BROADCAST_UNAVAILABLE = (
    "Chức năng gửi thông báo chưa bật (cần cơ sở dữ liệu và một kênh gửi)."
)
