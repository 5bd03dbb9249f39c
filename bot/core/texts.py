"""Every sentence a citizen reads from the core, in Vietnamese (NFC)."""

from __future__ import annotations

GREETING = (
    "Xin chào! Tôi là trợ lý hỗ trợ dịch vụ công trực tuyến của {province_name}.\n\n"
    "Bạn cứ gõ câu hỏi bằng lời của mình, có dấu hay không dấu đều được, ví dụ: "
    "“quên mật khẩu dịch vụ công”, “làm giấy khai sinh online”. "
    "Hoặc chọn một chủ đề bên dưới."
)
HELP = (
    "Cách dùng trợ lý:\n"
    "• Gõ câu hỏi như khi nhắn tin, ví dụ: “nộp tiền rồi mà hồ sơ vẫn báo chưa thanh toán”.\n"
    "• Khi tôi chưa chắc, tôi sẽ hỏi lại “Có phải bạn muốn hỏi…” để bạn chọn.\n"
    "• /menu: xem câu hỏi theo chủ đề\n"
    "• /lienhe: số tổng đài và nơi hỗ trợ trực tiếp\n"
    "• /subscribe: nhận mẹo kỹ năng số hằng tuần; /unsubscribe: hủy nhận\n"
    "• /tips: xem mẹo mới nhất\n"
    "• /xoadulieu: xóa những gì trợ lý đã lưu về bạn\n\n"
    "Câu hỏi được lưu có thời hạn để cán bộ bổ sung câu trả lời, sau khi đã che số điện thoại, "
    "số giấy tờ, số tài khoản, email, mã hồ sơ và địa chỉ nhà.\n"
    "Tôi không hỏi mật khẩu, mã OTP hay số tài khoản của bạn. Đừng gửi các thông tin này cho ai."
)
MENU = "Chọn một chủ đề:"
CATEGORY = "{label}: chọn câu hỏi bạn cần."
CATEGORY_EMPTY = "Chủ đề này chưa có câu hỏi nào. Bạn hãy chọn chủ đề khác."
DID_YOU_MEAN = "Có phải bạn muốn hỏi:"
ALSO_ASKED = "Bạn cũng hỏi về: {question}"
PERSONAL_DATA_REMINDER = (
    "🔒 Lưu ý: bạn không cần gửi số căn cước, số điện thoại hay email trong tin nhắn. "
    "Để an toàn, đừng gửi những thông tin này qua trò chuyện."
)
DID_YOU_MEAN_HINT = "Nếu không đúng, bạn hãy gõ lại câu hỏi cụ thể hơn."
FALLBACK = (
    "Xin lỗi, tôi chưa có câu trả lời cho câu hỏi này. Câu hỏi đã được ghi lại để cán bộ "
    "bổ sung.\n\n"
    "Bạn có thể gọi {hotline} để được hỗ trợ trực tiếp, hoặc chọn một chủ đề dưới đây."
)
CONTACTS = (
    "Liên hệ hỗ trợ dịch vụ công — {province_name}\n\n"
    "☎️ Tổng đài: {hotline}\n"
    "🌐 Cổng dịch vụ công: {portal_url}\n"
    "🏢 Hỗ trợ trực tiếp: {one_stop_address}\n"
    "🕗 Giờ làm việc: {working_hours}"
)
NON_TEXT = (
    "Hiện tôi chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi, ví dụ: “không nhận được mã OTP”."
)
EMPTY = "Bạn hãy gõ câu hỏi của mình, ví dụ: “đăng ký tài khoản dịch vụ công thế nào?”."
TOO_LONG_NOTE = (
    "Tin nhắn khá dài nên tôi chỉ đọc phần đầu. Lần sau bạn có thể gõ ngắn gọn điều cần hỏi."
)
UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Gõ /help để xem hướng dẫn hoặc /menu để xem chủ đề."
STALE = (
    "Câu hỏi này không còn trong danh sách (có thể đã được cập nhật). "
    "Bạn hãy gõ lại câu hỏi hoặc chọn chủ đề trong /menu."
)
THANKS = "Không có gì ạ! Bạn cần hỏi thêm gì cứ nhắn cho tôi nhé."
WHO_AM_I = (
    "Tôi là trợ lý tự động hỗ trợ người dân dùng dịch vụ công trực tuyến của {province_name}: "
    "tài khoản, VNeID, nộp hồ sơ, thanh toán, tra cứu kết quả. Tôi không phải cán bộ và không "
    "xem được hồ sơ của bạn; việc cần cán bộ xử lý, bạn gọi {hotline}."
)
GOODBYE = "Chúc bạn một ngày tốt lành! Khi cần, bạn cứ nhắn lại cho tôi."
ANSWER_FOOTER = "Nguồn: {source}{reviewed}"
REVIEWED = " · cập nhật {date}"
# Shown under an answer not re-checked within KNOWLEDGE_STALE_DAYS; {place} is "title: address".
OUTDATED_NOTICE = "⚠️ Thông tin có thể đã thay đổi, hãy kiểm tra tại {place}"
PORTAL_PLACE = "Cổng Dịch vụ công"
RELATED = "Câu hỏi liên quan:"
FEEDBACK_UP = "👍 Hữu ích"
FEEDBACK_DOWN = "👎 Chưa đúng ý"
FEEDBACK_THANKS = "Cảm ơn bạn đã đánh giá!"
FEEDBACK_SORRY = (
    "Cảm ơn bạn đã cho biết. Câu trả lời sẽ được cán bộ xem lại. "
    "Bạn có thể gõ ngay góp ý (điều còn thiếu hoặc chưa đúng) hoặc gọi {hotline}."
)
LEAVE_COMMENT = "✍️ Để lại góp ý"
COMMENT_PROMPT = "Bạn hãy gõ góp ý trong một tin nhắn. Góp ý sẽ được chuyển tới cán bộ."
COMMENT_THANKS = "Đã ghi nhận góp ý của bạn. Cảm ơn bạn!"
# Text typed right after 👎 without tapping "leave a comment", that matches no question.
COMMENT_THANKS_UNPROMPTED = (
    "Đã ghi nhận ý kiến của bạn, cán bộ sẽ xem lại câu trả lời. Nếu bạn đang hỏi một điều khác "
    "mà tôi chưa trả lời được, hãy gọi {hotline} để được hỗ trợ trực tiếp."
)
OFFER_SUBSCRIBE = "🔔 Nhận mẹo kỹ năng số hằng tuần"
SUBSCRIBED = "Bạn đã đăng ký nhận mẹo kỹ năng số hằng tuần. Gõ /unsubscribe bất cứ lúc nào để hủy."
ALREADY_SUBSCRIBED = "Bạn đang nhận mẹo kỹ năng số rồi. Gõ /unsubscribe nếu muốn hủy."
UNSUBSCRIBED = "Bạn đã hủy nhận mẹo. Tôi sẽ không gửi mẹo cho bạn nữa."
NOT_SUBSCRIBED = "Bạn chưa đăng ký nhận mẹo. Gõ /subscribe nếu muốn nhận."
NO_TIPS = "Hiện chưa có mẹo nào. Gõ /subscribe để nhận mẹo khi có."
TIP = "💡 {title}\n\n{body}"
SUBSCRIPTION_UNAVAILABLE = "Chức năng nhận mẹo chưa được bật ở kênh này."
MENU_BUTTON = "📋 Xem chủ đề"
ERASE_BUTTON = "🗑 Xóa dữ liệu của tôi"
ERASE_CONFIRM = (
    "Trợ lý sẽ xóa những gì đã lưu về bạn trên kênh này: các câu hỏi, đánh giá và góp ý bạn đã "
    "gửi, đăng ký nhận mẹo và lần cuối bạn dùng trợ lý. Việc này không hoàn tác được.\n\n"
    "Bạn có chắc muốn xóa không?"
)
ERASE_YES = "✅ Xóa hết"
ERASE_NO = "✖️ Không xóa"
ERASED = (
    "Đã xóa dữ liệu trợ lý lưu về bạn. Bạn vẫn có thể hỏi tiếp như bình thường; nếu đã đăng ký "
    "nhận mẹo, bạn sẽ không nhận nữa."
)
ERASE_CANCELLED = "Đã hủy, không xóa gì."
ERASE_NOTHING_STORED = "Trợ lý ở kênh này không lưu dữ liệu nào về bạn."
ERASE_FAILED = "Chưa xóa được vì trợ lý đang gặp sự cố lưu trữ. Bạn vui lòng thử lại sau ít phút."
ASK_AGAIN_AFTER_RESTART = (
    "Xin lỗi, trợ lý vừa khởi động lại đúng lúc đang trả lời bạn. Nếu bạn chưa nhận được câu trả "
    "lời, xin gửi lại câu hỏi."
)
